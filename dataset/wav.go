package dataset

import (
	"encoding/binary"
)

// decodeWAV parses a RIFF WAVE file of 16-bit PCM audio (format 1, or
// WAVE_FORMAT_EXTENSIBLE with the PCM sub-format), mono, as a time series
// with one axis "audio" (units "wav") holding the int16 sample values: in
// Values, or as they are when compact (see Sample.Series).
func decodeWAV(data []byte, compact bool) (*Sample, error) {
	if len(data) < 12 {
		return nil, formatError("WAV file of %d bytes is truncated (no RIFF header)", len(data))
	}
	if string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, formatError("not a RIFF WAVE file")
	}
	var (
		haveFmt                           bool
		format, channels, bits, blockSize uint16
		rate                              uint32
	)
	off := 12
	for {
		if len(data)-off < 8 {
			return nil, formatError("WAV file has no data chunk (truncated?)")
		}
		id := string(data[off : off+4])
		size := int64(binary.LittleEndian.Uint32(data[off+4 : off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if size < 16 || int64(len(data)-body) < 16 {
				return nil, formatError("WAV fmt chunk is truncated")
			}
			b := data[body:]
			format = binary.LittleEndian.Uint16(b[0:])
			channels = binary.LittleEndian.Uint16(b[2:])
			rate = binary.LittleEndian.Uint32(b[4:])
			blockSize = binary.LittleEndian.Uint16(b[12:])
			bits = binary.LittleEndian.Uint16(b[14:])
			if format == 0xfffe { // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the format code
				if size < 40 || int64(len(data)-body) < 40 {
					return nil, formatError("WAV extensible fmt chunk is truncated")
				}
				format = binary.LittleEndian.Uint16(b[24:])
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, formatError("WAV data chunk comes before the fmt chunk")
			}
			if format != 1 {
				return nil, formatError("WAV format %d is not PCM; only 16-bit PCM is supported", format)
			}
			if bits != 16 {
				return nil, formatError("WAV has %d bits per sample; only 16-bit PCM is supported", bits)
			}
			if channels != 1 {
				return nil, formatError("WAV has %d channels; only mono is supported", channels)
			}
			if blockSize != 2 {
				return nil, formatError("WAV block align is %d; want 2 for 16-bit mono", blockSize)
			}
			if rate == 0 {
				return nil, formatError("WAV sample rate is 0")
			}
			if have := int64(len(data) - body); size > have {
				return nil, formatError("WAV data chunk is truncated: header says %d bytes, file has %d", size, have)
			}
			if size%2 != 0 {
				return nil, formatError("WAV data chunk of %d bytes is not a whole number of 16-bit samples", size)
			}
			n := int(size / 2)
			if n == 0 {
				return nil, formatError("WAV data chunk is empty")
			}
			s := &Sample{IntervalMs: 1000 / float64(rate), Sensors: []Sensor{{Name: "audio", Units: "wav"}}}
			b := data[body:]
			if compact {
				s.pcm = make([]int16, n)
				for i := range s.pcm {
					s.pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
				}
				return s, nil
			}
			s.Values = make([]float64, n)
			for i := range s.Values {
				s.Values[i] = float64(int16(binary.LittleEndian.Uint16(b[2*i:])))
			}
			return s, nil
		}
		next := int64(body) + size + size&1
		if next > int64(len(data)) {
			return nil, formatError("WAV chunk %q is truncated", id)
		}
		off = int(next)
	}
}
