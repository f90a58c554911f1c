package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/dataset/internal/cbor"
)

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

// decodeAcquisitionCBOR parses a data acquisition CBOR file, including the
// binary-payload variant ("values": ["Ref-Binary-i16"] followed by the
// little-endian values after the CBOR header).
func decodeAcquisitionCBOR(data []byte) (*Sample, error) {
	v, n, err := cbor.Decode(data)
	if err != nil {
		if errors.Is(err, cbor.ErrTruncated) {
			return nil, formatError("truncated CBOR: %v", err)
		}
		return nil, formatError("malformed CBOR: %v", err)
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, formatError("CBOR data item is not a map")
	}
	payload, ok := top["payload"].(map[string]any)
	if !ok {
		return nil, formatError("no payload map")
	}
	// Fields of the wrong type are errors and null ones unset, as in JSON.
	var a acquisition
	if p, ok := top["protected"].(map[string]any); ok {
		if err := cborString(&a.alg, p, "alg", "protected.alg"); err != nil {
			return nil, err
		}
	} else if top["protected"] != nil {
		return nil, formatError("protected is not a map")
	}
	if err := cborString(&a.deviceName, payload, "device_name", "payload.device_name"); err != nil {
		return nil, err
	}
	if err := cborString(&a.deviceType, payload, "device_type", "payload.device_type"); err != nil {
		return nil, err
	}
	if iv := payload["interval_ms"]; iv != nil {
		f, isNum := iv.(float64)
		if !isNum {
			return nil, formatError("payload.interval_ms is not a number")
		}
		a.intervalMs, a.hasInterval = f, true
	}
	sensors, ok := payload["sensors"].([]any)
	if !ok && payload["sensors"] != nil {
		return nil, formatError("payload.sensors is not an array")
	}
	for i, s := range sensors {
		m, ok := s.(map[string]any)
		if !ok {
			return nil, formatError("payload.sensors[%d] is not a map", i)
		}
		var x Sensor
		if err := cborString(&x.Name, m, "name", fmt.Sprintf("payload.sensors[%d].name", i)); err != nil {
			return nil, err
		}
		if err := cborString(&x.Units, m, "units", fmt.Sprintf("payload.sensors[%d].units", i)); err != nil {
			return nil, err
		}
		a.sensors = append(a.sensors, x)
	}
	values, ok := payload["values"].([]any)
	if !ok {
		return nil, formatError("payload.values is missing or not an array")
	}
	trailer := data[n:]
	if ref, isRef := binaryRef(values); isRef {
		if err := a.binaryValues(ref, trailer); err != nil {
			return nil, err
		}
		return a.sample()
	}
	if len(trailer) > 0 {
		return nil, formatError("%d bytes after the CBOR data item", len(trailer))
	}
	if err := a.treeValues(values); err != nil {
		return nil, err
	}
	return a.sample()
}

// cborString sets *dst to the text field key of m, leaving it unchanged when
// the field is absent or null; path names the field in errors.
func cborString(dst *string, m map[string]any, key, path string) error {
	switch v := m[key].(type) {
	case nil:
	case string:
		*dst = v
	default:
		return formatError("%s is not a text string", path)
	}
	return nil
}

// binaryRef recognises ["Ref-Binary-<type>"] (any case, padded with
// spaces).
func binaryRef(values []any) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	s, ok := values[0].(string)
	if !ok {
		return "", false
	}
	s = strings.ToLower(strings.TrimRight(s, " "))
	if !strings.HasPrefix(s, "ref-binary-") {
		return "", false
	}
	return strings.TrimPrefix(s, "ref-binary-"), true
}

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

// treeValues reads decoded CBOR values: arrays of numbers, or numbers for a
// single sensor.
func (a *acquisition) treeValues(values []any) error {
	k := len(a.sensors)
	if k == 0 {
		return formatError("payload.sensors is missing or empty")
	}
	a.values = make([]float64, 0, len(values)*k)
	for i, row := range values {
		switch r := row.(type) {
		case float64:
			if k != 1 {
				return formatError("payload.values[%d] is a number but there are %d sensors", i, k)
			}
			a.values = append(a.values, r)
		case []any:
			if len(r) != k {
				return formatError("payload.values[%d] has %d values, want %d (one per sensor)", i, len(r), k)
			}
			for j, x := range r {
				f, ok := x.(float64)
				if !ok {
					return formatError("payload.values[%d][%d] is not a number", i, j)
				}
				a.values = append(a.values, f)
			}
		case string:
			return formatError("payload.values[%d] is a string (a reference to an attachment), which is not supported", i)
		default:
			return formatError("payload.values[%d] is not a number or an array", i)
		}
	}
	a.rows = len(values)
	return nil
}
