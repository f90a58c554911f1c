package dsp

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// paramReader reads Edge Impulse block parameters from a decoded JSON
// object. Studio sends numbers and booleans either as JSON values or as
// strings ("16", "true"); both are accepted. The first problem is kept.
type paramReader struct {
	block string
	p     map[string]any
	seen  map[string]bool
	err   error
}

func newParamReader(block string, p map[string]any) *paramReader {
	return &paramReader{block: block, p: p, seen: make(map[string]bool, len(p))}
}

func (r *paramReader) fail(name string, v any, reason string) {
	if r.err == nil {
		r.err = &ConfigError{Block: r.block, Param: name, Value: v, Reason: reason}
	}
}

// get returns the raw value of a parameter and whether it is present. A
// JSON null counts as absent, so it leaves the default.
func (r *paramReader) get(name string) (any, bool) {
	r.seen[name] = true
	v, ok := r.p[name]
	return v, ok && v != nil
}

func (r *paramReader) float(name string, dst *float64) {
	v, ok := r.get(name)
	if !ok {
		return
	}
	var f float64
	var err error
	switch x := v.(type) {
	case json.Number:
		f, err = x.Float64()
	case float64:
		f = x
	case int:
		f = float64(x)
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	default:
		err = fmt.Errorf("not a number")
	}
	if err != nil {
		r.fail(name, v, "must be a number")
		return
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		r.fail(name, v, "must be finite")
		return
	}
	*dst = f
}

func (r *paramReader) int(name string, dst *int) {
	v, ok := r.get(name)
	if !ok {
		return
	}
	f := math.NaN()
	r.float(name, &f)
	if r.err != nil {
		return
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		r.fail(name, v, "must be an integer")
		return
	}
	*dst = int(f)
}

func (r *paramReader) bool(name string, dst *bool) {
	v, ok := r.get(name)
	if !ok {
		return
	}
	switch x := v.(type) {
	case bool:
		*dst = x
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1":
			*dst = true
		case "false", "0":
			*dst = false
		default:
			r.fail(name, v, "must be true or false")
		}
	default:
		r.fail(name, v, "must be true or false")
	}
}

func (r *paramReader) str(name string, dst *string) {
	v, ok := r.get(name)
	if !ok {
		return
	}
	switch x := v.(type) {
	case string:
		*dst = x
	case json.Number:
		*dst = x.String()
	case float64:
		*dst = strconv.FormatFloat(x, 'g', -1, 64)
	default:
		r.fail(name, v, "must be a string")
	}
}

// list reads a parameter that Studio sends as a comma-separated string but
// that may also arrive as a JSON array of numbers; it is stored in the
// string form.
func (r *paramReader) list(name string, dst *string) {
	v, ok := r.get(name)
	if !ok {
		return
	}
	if a, isList := v.([]any); isList {
		parts := make([]string, len(a))
		for i, e := range a {
			switch x := e.(type) {
			case json.Number:
				parts[i] = x.String()
			case float64:
				parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
			case string:
				parts[i] = x
			default:
				r.fail(name, v, "must be a list of numbers")
				return
			}
		}
		*dst = strings.Join(parts, ", ")
		return
	}
	r.str(name, dst)
}

// done reports the first problem, or a parameter the block does not have.
func (r *paramReader) done() error {
	if r.err != nil {
		return r.err
	}
	var unknown []string
	for k := range r.p {
		if !r.seen[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return &ConfigError{Block: r.block, Param: unknown[0], Reason: "unknown parameter"}
	}
	return nil
}

// decodeParams decodes a JSON object of block parameters, keeping numbers
// exact as json.Number.
func decodeParams(block string, data []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var p map[string]any
	if err := dec.Decode(&p); err != nil {
		return nil, &ConfigError{Block: block, Reason: "parameters are not a JSON object: " + err.Error()}
	}
	if dec.More() {
		return nil, &ConfigError{Block: block, Reason: "parameters: trailing data after the JSON object"}
	}
	return p, nil
}

// unmarshalParams decodes a JSON object of block parameters and hands it to
// a config's setParams.
func unmarshalParams(block string, data []byte, set func(map[string]any) error) error {
	p, err := decodeParams(block, data)
	if err != nil {
		return err
	}
	return set(p)
}

// pyFloat formats v as Python's str(float) does: the shortest decimal that
// round-trips, with at least one digit after the point, switching to
// exponent notation below 1e-4 and from 1e16 on.
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	if v == 0 {
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	// The exponent of the shortest round-trip digits decides the notation;
	// Go's exponent form (at least two exponent digits) is Python's.
	s := strconv.FormatFloat(v, 'e', -1, 64)
	if exp, _ := strconv.Atoi(s[strings.LastIndexByte(s, 'e')+1:]); exp < -4 || exp >= 16 {
		return s
	}
	f := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsRune(f, '.') {
		f += ".0"
	}
	return f
}

// pyRound2 is Python's round(v, 2): the exact binary value rounded half to
// even at two decimals.
func pyRound2(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return f
}
