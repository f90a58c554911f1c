package service

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
)

// A sample pack carries decoded samples to the workers in one object of
// the object store, exactly: a tuner's trials must see the very values
// the search's own process sees, or the same trial would score
// differently on a worker. It is gzip-compressed:
//
//	"tinyimpulse-samples\x00\x01"
//	uvarint length of the header, the header (JSON, packHeader)
//	every sample's payload, in header order
//
// A time series' values are stored in the narrowest form that gives every
// value back bit for bit: 16-bit integers, float32 or float64 (little
// endian). An image is stored as the straight 8-bit RGB values the
// library reads from it (alpha is ignored): one byte per pixel when the
// three channels are equal everywhere, three otherwise.

// packMagic starts a sample pack (after decompression).
const packMagic = "tinyimpulse-samples\x00\x01"

// Limits of a sample pack: its size uncompressed and an image's pixels
// (the dataset package's own limit).
const (
	maxPackBytes  = 1 << 31
	maxPackPixels = 1 << 26
)

// Value encodings of a pack.
const (
	encInt16   = "i16"
	encFloat32 = "f32"
	encFloat64 = "f64"
)

type packHeader struct {
	Samples []packSample `json:"samples"`
}

// packSample is a sample's metadata in a pack's header.
type packSample struct {
	ID            int               `json:"id"`
	Name          string            `json:"name,omitempty"`
	Path          string            `json:"path,omitempty"`
	Category      string            `json:"category,omitempty"`
	Label         string            `json:"label,omitempty"`
	Labels        []labelRange      `json:"labels,omitempty"`
	KeyValues     map[string]string `json:"keyValues,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	BoundingBoxes []boundingBox     `json:"boundingBoxes,omitempty"`
	DeviceName    string            `json:"deviceName,omitempty"`
	DeviceType    string            `json:"deviceType,omitempty"`
	IntervalMs    float64           `json:"intervalMs,omitempty"`
	Sensors       []sensor          `json:"sensors,omitempty"`
	Values        int               `json:"values,omitempty"`
	Encoding      string            `json:"encoding,omitempty"`
	Image         *packImage        `json:"image,omitempty"`
}

type packImage struct {
	Width  int  `json:"width"`
	Height int  `json:"height"`
	Color  bool `json:"color"`
}

// encodeSamples writes samples as a sample pack.
func encodeSamples(samples []*decodedSample) ([]byte, error) {
	var h packHeader
	var body bytes.Buffer
	for _, s := range samples {
		ps := packSample{ID: s.ID, Name: s.Name, Path: s.Path, Category: s.Category, Label: s.Label,
			Labels: s.Labels, KeyValues: s.KeyValues, Metadata: s.Metadata, BoundingBoxes: s.BoundingBoxes,
			DeviceName: s.DeviceName, DeviceType: s.DeviceType}
		if s.Image != nil {
			ps.Image = packPixels(&body, s.Image)
		} else {
			if math.IsNaN(s.IntervalMs) || math.IsInf(s.IntervalMs, 0) {
				return nil, fmt.Errorf("sample %d (%s): interval %v ms", s.ID, s.Path, s.IntervalMs)
			}
			ps.IntervalMs, ps.Sensors, ps.Values = s.IntervalMs, s.Sensors, len(s.Values)
			ps.Encoding = packValues(&body, s.Values)
		}
		h.Samples = append(h.Samples, ps)
	}
	head, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	zw.Write([]byte(packMagic))
	zw.Write(binary.AppendUvarint(nil, uint64(len(head))))
	zw.Write(head)
	zw.Write(body.Bytes())
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// packValues appends values in the narrowest exact encoding and returns
// its name.
func packValues(body *bytes.Buffer, values []float64) string {
	enc := encInt16
	for _, v := range values {
		if enc == encInt16 && (v != math.Trunc(v) || v < math.MinInt16 || v > math.MaxInt16 || v == 0 && math.Signbit(v)) {
			enc = encFloat32
		}
		if enc == encFloat32 && float64(float32(v)) != v {
			enc = encFloat64
			break
		}
	}
	var b []byte
	switch enc {
	case encInt16:
		b = make([]byte, 0, 2*len(values))
		for _, v := range values {
			b = binary.LittleEndian.AppendUint16(b, uint16(int16(v)))
		}
	case encFloat32:
		b = make([]byte, 0, 4*len(values))
		for _, v := range values {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
		}
	default:
		b = make([]byte, 0, 8*len(values))
		for _, v := range values {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	body.Write(b)
	return enc
}

// packPixels appends an image's straight 8-bit RGB values.
func packPixels(body *bytes.Buffer, img image.Image) *packImage {
	r := img.Bounds()
	pi := &packImage{Width: r.Dx(), Height: r.Dy()}
	rgb := make([]byte, 0, 3*r.Dx()*r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			rgb = append(rgb, c.R, c.G, c.B)
			pi.Color = pi.Color || c.R != c.G || c.G != c.B
		}
	}
	if !pi.Color {
		for i := range r.Dx() * r.Dy() {
			rgb[i] = rgb[3*i]
		}
		rgb = rgb[:r.Dx()*r.Dy()]
	}
	body.Write(rgb)
	return pi
}

// errPack is wrapped by every error about a malformed sample pack.
var errPack = errors.New("malformed sample pack")

func packError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errPack, fmt.Sprintf(format, args...))
}

// decodeSamples reads a sample pack.
func decodeSamples(data []byte) ([]*decodedSample, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, packError("not gzip-compressed: %v", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxPackBytes+1))
	if err != nil {
		return nil, packError("gzip: %v", err)
	}
	if len(raw) > maxPackBytes {
		return nil, packError("larger than %d bytes", maxPackBytes)
	}
	if !bytes.HasPrefix(raw, []byte(packMagic)) {
		return nil, packError("no pack header")
	}
	rest := raw[len(packMagic):]
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return nil, packError("truncated header")
	}
	rest = rest[k:]
	var h packHeader
	if err := json.Unmarshal(rest[:n], &h); err != nil {
		return nil, packError("header: %v", err)
	}
	body := rest[n:]
	out := make([]*decodedSample, 0, len(h.Samples))
	seen := map[int]bool{}
	for i, ps := range h.Samples {
		where := fmt.Sprintf("sample [%d] (id %d)", i, ps.ID)
		if ps.ID <= 0 || seen[ps.ID] {
			return nil, packError("%s: the id must be positive and unique", where)
		}
		seen[ps.ID] = true
		s := &decodedSample{ID: ps.ID, Name: ps.Name, Path: ps.Path, Category: ps.Category, Label: ps.Label,
			KeyValues: ps.KeyValues, Metadata: ps.Metadata, DeviceName: ps.DeviceName, DeviceType: ps.DeviceType}
		s.BoundingBoxes = ps.BoundingBoxes
		var err error
		if ps.Image != nil {
			body, err = unpackPixels(s, ps.Image, body)
		} else {
			body, err = unpackValues(s, &ps, body)
		}
		if err != nil {
			return nil, packError("%s: %v", where, err)
		}
		if len(ps.Labels) > 0 {
			if err := s.SetLabels(ps.Labels); err != nil {
				return nil, packError("%s: %v", where, err)
			}
		}
		out = append(out, s)
	}
	if len(body) != 0 {
		return nil, packError("%d bytes after the last sample", len(body))
	}
	return out, nil
}

func unpackValues(s *decodedSample, ps *packSample, body []byte) ([]byte, error) {
	if len(ps.Sensors) == 0 {
		return nil, errors.New("a time series without sensors")
	}
	if !(ps.IntervalMs > 0) || math.IsInf(ps.IntervalMs, 0) {
		return nil, fmt.Errorf("interval %v ms: must be a positive number", ps.IntervalMs)
	}
	if ps.Values < 0 || ps.Values%len(ps.Sensors) != 0 {
		return nil, fmt.Errorf("%d values for %d sensors", ps.Values, len(ps.Sensors))
	}
	size := map[string]int{encInt16: 2, encFloat32: 4, encFloat64: 8}[ps.Encoding]
	if size == 0 {
		return nil, fmt.Errorf("unknown value encoding %q", ps.Encoding)
	}
	if ps.Values > len(body)/size {
		return nil, fmt.Errorf("%d values of %d bytes, %d bytes left", ps.Values, size, len(body))
	}
	b := body[:ps.Values*size]
	s.IntervalMs, s.Sensors = ps.IntervalMs, ps.Sensors
	s.Values = make([]float64, ps.Values)
	for i := range s.Values {
		switch size {
		case 2:
			s.Values[i] = float64(int16(binary.LittleEndian.Uint16(b[2*i:])))
		case 4:
			s.Values[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		default:
			s.Values[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	}
	return body[len(b):], nil
}

func unpackPixels(s *decodedSample, pi *packImage, body []byte) ([]byte, error) {
	if pi.Width <= 0 || pi.Height <= 0 || int64(pi.Width)*int64(pi.Height) > maxPackPixels {
		return nil, fmt.Errorf("image of %d×%d pixels is empty or larger than %d pixels", pi.Width, pi.Height, maxPackPixels)
	}
	n := pi.Width * pi.Height
	if pi.Color {
		n *= 3
	}
	if n > len(body) {
		return nil, fmt.Errorf("%d pixel bytes, %d left", n, len(body))
	}
	r := image.Rect(0, 0, pi.Width, pi.Height)
	if !pi.Color {
		g := image.NewGray(r)
		copy(g.Pix, body[:n])
		s.Image = g
		return body[n:], nil
	}
	m := image.NewNRGBA(r)
	for i := range pi.Width * pi.Height {
		copy(m.Pix[4*i:4*i+3], body[3*i:3*i+3])
		m.Pix[4*i+3] = 0xff
	}
	s.Image = m
	return body[n:], nil
}
