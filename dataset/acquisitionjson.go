package dataset

import (
	"encoding/json"
	"strconv"
	"unsafe"

	"github.com/tinyimpulse/tinyimpulse/internal/jsonerr"
)

// Data acquisition JSON is read in two steps: encoding/json reads the
// document into an acquisitionDoc (with its rules: keys match
// case-insensitively, the last duplicate wins, null leaves a field unset),
// keeping payload.values raw, then readValues reads the values straight
// into the interleaved slice. A hand-written one-pass scanner (560 lines)
// did this before; on the accelerometer files of gestures-continuous,
// gestures-magic-wand and fan-unbalance it took 1.04·10⁹ instructions per
// pass against 1.35·10⁹ for these two steps (callgrind, BenchmarkAcquisitionJSON),
// a gain of 1.3×, too little for a second JSON parser to maintain.

// decodeAcquisitionJSON parses a data acquisition JSON file.
func decodeAcquisitionJSON(data []byte) (*Sample, error) {
	a, values, err := readAcquisitionJSON(data)
	if err != nil {
		return nil, err
	}
	if a.values, a.rows, err = readValues(values, len(a.sensors)); err != nil {
		return nil, err
	}
	return a.sample()
}

// readAcquisitionJSON reads everything but the values of a data
// acquisition JSON file, which it returns raw.
func readAcquisitionJSON(data []byte) (*acquisition, json.RawMessage, error) {
	var doc acquisitionDoc[json.RawMessage]
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, formatError("not a data acquisition JSON file: %s", jsonerr.Text(data, err))
	}
	if doc.Payload == nil {
		return nil, nil, formatError("no payload object")
	}
	a := doc.acquisition()
	if len(a.sensors) == 0 {
		return nil, nil, formatError("payload.sensors is missing or empty")
	}
	return a, doc.Payload.Values, nil
}

// readValues reads payload.values, which encoding/json has checked to be
// valid JSON: one array per value with one number per sensor (k of them),
// or, for a single sensor, a flat array of numbers. It returns the values
// interleaved by value and the number of values per sensor.
func readValues(raw []byte, k int) (values []float64, rows int, err error) {
	r := valuesReader{b: raw}
	r.ws()
	if r.i == len(r.b) || string(r.b[r.i:]) == "null" {
		return nil, 0, formatError("payload.values is missing")
	}
	if r.b[r.i] != '[' {
		return nil, 0, errNotNumbers
	}
	r.i++
	r.ws()
	if r.peek() == ']' {
		return nil, 0, nil // empty: the sample says so
	}
	nested := r.peek() == '['
	if !nested && k != 1 {
		return nil, 0, formatError("payload.values is a flat array but there are %d sensors", k)
	}
	values = make([]float64, 0, len(raw)/(4*k+2)*k)
	for {
		if nested {
			if r.peek() != '[' {
				return nil, 0, r.elementError()
			}
			r.i++
			n0 := len(values)
			if r.ws(); r.peek() != ']' {
				for {
					if values, err = r.number(values); err != nil {
						return nil, 0, err
					}
					if !r.next() {
						break
					}
				}
			}
			r.i++ // ']'
			if n := len(values) - n0; n != k {
				return nil, 0, formatError("payload.values[%d] has %d values, want %d (one per sensor)", rows, n, k)
			}
		} else if values, err = r.number(values); err != nil {
			return nil, 0, err
		}
		rows++
		if !r.next() {
			return values, rows, nil
		}
	}
}

var errNotNumbers = formatError("payload.values is not an array of numbers or of arrays of numbers")

// valuesReader walks a valid JSON array of numbers or of arrays of numbers.
type valuesReader struct {
	b []byte
	i int
}

func (r *valuesReader) ws() {
	for r.i < len(r.b) && (r.b[r.i] == ' ' || r.b[r.i] == '\t' || r.b[r.i] == '\n' || r.b[r.i] == '\r') {
		r.i++
	}
}

func (r *valuesReader) peek() byte {
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// next skips a comma (reporting true: another element follows) or stops
// at the array's closing bracket (reporting false).
func (r *valuesReader) next() bool {
	r.ws()
	if r.peek() == ',' {
		r.i++
		r.ws()
		return true
	}
	return false
}

// elementError describes an element that is not a number (or an array of
// numbers, in the nested form).
func (r *valuesReader) elementError() error {
	if r.peek() == '"' {
		return formatError("payload.values holds strings (references to attachments), which are not supported")
	}
	return errNotNumbers
}

// number appends the number at the reader's position.
func (r *valuesReader) number(dst []float64) ([]float64, error) {
	r.ws()
	j := r.i
	for j < len(r.b) {
		c := r.b[j]
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		j++
	}
	if j == r.i {
		return dst, r.elementError()
	}
	// The token is a valid JSON number (encoding/json checked the
	// document), which ParseFloat reads as Go would; the string shares the
	// bytes.
	v, err := strconv.ParseFloat(unsafe.String(&r.b[r.i], j-r.i), 64)
	if err != nil {
		return dst, formatError("payload.values: %s is out of range", r.b[r.i:j])
	}
	r.i = j
	r.ws()
	return append(dst, v), nil
}
