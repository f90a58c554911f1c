package dataset

import (
	"encoding/binary"
	"math"
	"strings"
)

// acquisitionDoc is a data acquisition document, JSON or CBOR
// (fxamacker/cbor reads the json tags). Raw is the type that keeps a part
// as it is in the file (json.RawMessage or cbor.RawMessage): the signature,
// which nothing checks, and payload.values, which a reader of each format
// reads straight into the interleaved values.
type acquisitionDoc[Raw any] struct {
	Protected *struct {
		Ver string `json:"ver"`
		Alg string `json:"alg"`
	} `json:"protected"`
	Signature Raw `json:"signature"`
	Payload   *struct {
		DeviceName string   `json:"device_name"`
		DeviceType string   `json:"device_type"`
		IntervalMs *float64 `json:"interval_ms"`
		Sensors    []Sensor `json:"sensors"`
		Values     Raw      `json:"values"`
	} `json:"payload"`
}

// acquisition returns what the document's payload, which must be there,
// says about the sample, except for its values.
func (d *acquisitionDoc[Raw]) acquisition() *acquisition {
	p := d.Payload
	a := &acquisition{deviceName: p.DeviceName, deviceType: p.DeviceType, sensors: p.Sensors}
	if d.Protected != nil {
		a.alg = d.Protected.Alg
	}
	if p.IntervalMs != nil {
		a.intervalMs, a.hasInterval = *p.IntervalMs, true
	}
	return a
}

// acquisition is the part of Edge Impulse's data acquisition format
// (JSON or CBOR) that a sample needs.
type acquisition struct {
	alg                    string
	deviceName, deviceType string
	intervalMs             float64
	hasInterval            bool
	sensors                []Sensor
	values                 []float64 // interleaved
	rows                   int
}

// sample validates the payload and returns it as a time-series sample.
func (a *acquisition) sample() (*Sample, error) {
	switch strings.ToUpper(a.alg) {
	case "", "NONE", "HS256":
	default:
		return nil, formatError("protected.alg %q is not HS256 or none", a.alg)
	}
	if !a.hasInterval {
		return nil, formatError("payload.interval_ms is missing")
	}
	if !(a.intervalMs > 0) || math.IsInf(a.intervalMs, 0) {
		return nil, formatError("payload.interval_ms is %v, want a positive number", a.intervalMs)
	}
	if len(a.sensors) == 0 {
		return nil, formatError("payload.sensors is missing or empty")
	}
	seen := make(map[string]bool, len(a.sensors))
	for i, s := range a.sensors {
		if s.Name == "" {
			return nil, formatError("payload.sensors[%d] has no name", i)
		}
		if seen[s.Name] {
			return nil, formatError("payload.sensors: duplicate sensor name %q", s.Name)
		}
		seen[s.Name] = true
	}
	if a.rows == 0 {
		return nil, formatError("payload.values is empty")
	}
	for i, v := range a.values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, formatError("payload.values[%d][%d] is %v", i/len(a.sensors), i%len(a.sensors), v)
		}
	}
	return &Sample{DeviceName: a.deviceName, DeviceType: a.deviceType, IntervalMs: a.intervalMs,
		Sensors: a.sensors, Values: a.values}, nil
}

// binaryRefs are the element types of the binary payload variant.
var binaryRefs = map[string]int{"i8": 1, "u8": 1, "i16": 2, "u16": 2, "i32": 4, "u32": 4, "f32": 4}

// binaryValues reads the values of the binary payload variant: b holds
// little-endian values of type ref ("i16", …) for the single sensor.
func (a *acquisition) binaryValues(ref string, b []byte) error {
	size, ok := binaryRefs[ref]
	if !ok {
		return formatError("unknown binary payload type %q (want i8, u8, i16, u16, i32, u32 or f32)", ref)
	}
	if len(a.sensors) != 1 {
		return formatError("binary payload with %d sensors; it needs exactly one", len(a.sensors))
	}
	if len(b)%size != 0 {
		return formatError("binary payload of %d bytes is not a whole number of %s values (truncated?)", len(b), ref)
	}
	n := len(b) / size
	a.values, a.rows = make([]float64, n), n
	for i := range a.values {
		p := b[i*size:]
		switch ref {
		case "i8":
			a.values[i] = float64(int8(p[0]))
		case "u8":
			a.values[i] = float64(p[0])
		case "i16":
			a.values[i] = float64(int16(binary.LittleEndian.Uint16(p)))
		case "u16":
			a.values[i] = float64(binary.LittleEndian.Uint16(p))
		case "i32":
			a.values[i] = float64(int32(binary.LittleEndian.Uint32(p)))
		case "u32":
			a.values[i] = float64(binary.LittleEndian.Uint32(p))
		case "f32":
			a.values[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
		}
	}
	return nil
}
