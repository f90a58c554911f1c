package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// Data acquisition CBOR is read as JSON is, in two steps: fxamacker/cbor
// reads the document into an acquisitionDoc, keeping payload.values raw,
// then readCBORValues reads the values straight into the interleaved slice.
// fxamacker/cbor checks that the whole data item is well formed before it
// decodes anything, so the reader walks a valid item. On the samples of
// gestures-continuous converted to CBOR (BenchmarkAcquisitionCBOR, callgrind,
// instructions per pass) the two steps take 130·10⁶ instructions, against
// 494·10⁶ for fxamacker/cbor reading the values too (into [][]*float64) and
// 188·10⁶ for the hand-written decoder this replaced (which allocated every
// value).
//
// The rules of the first step (cborOptions): map keys match field names
// exactly, a key given twice in a map is an error (RFC 8949 §5.6 makes such
// a map invalid, and a signed file should mean one thing), null and
// undefined leave a field unset, tags around a field are ignored, and only
// the simple values false, true, null and undefined are accepted.

// cborMaxDepth is the deepest nesting of arrays, maps and tags accepted.
// The fields of a sample nest 4 deep (payload.values[i][j]).
const cborMaxDepth = 64

// cborSimpleValues refuses the unassigned simple values, which
// fxamacker/cbor would otherwise read into a float64 as their number.
var cborSimpleValues = func() *cbor.SimpleValueRegistry {
	var refuse []func(*cbor.SimpleValueRegistry) error
	for v := range 256 {
		if v < 20 || v > 31 { // 20…23 are false, true, null, undefined; 24…31 are reserved
			refuse = append(refuse, cbor.WithRejectedSimpleValue(cbor.SimpleValue(v)))
		}
	}
	r, err := cbor.NewSimpleValueRegistryFromDefaults(refuse...)
	if err != nil {
		panic("dataset: " + err.Error())
	}
	return r
}()

// cborOptions returns the decoding options for a CBOR file of size bytes.
// Every array element takes at least one byte and every map pair two, so
// the limits on array and map sizes refuse nothing that fits in the file;
// fxamacker/cbor's default limits (131072) would refuse a recording of more
// values than that, 8 s of 16 kHz audio.
func cborOptions(size int) cbor.DecOptions {
	limit := func(n int) int { return min(max(n, 16), math.MaxInt32) }
	return cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   cborMaxDepth,
		MaxArrayElements:  limit(size),
		MaxMapPairs:       limit(size / 2),
		IndefLength:       cbor.IndefLengthAllowed,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		BignumTag:         cbor.BignumTagForbidden,
		SimpleValues:      cborSimpleValues,
		UTF8:              cbor.UTF8RejectInvalid,
	}
}

// decodeAcquisitionCBOR parses a data acquisition CBOR file, including the
// binary-payload variant ("values": ["Ref-Binary-i16"] followed by the
// little-endian values after the CBOR data item).
func decodeAcquisitionCBOR(data []byte) (*Sample, error) {
	return decodeCBOR(data, readCBORValues)
}

// decodeCBOR parses a data acquisition CBOR file, reading payload.values
// (unless it refers to a binary payload) with readValues.
func decodeCBOR(data []byte, readValues func(raw []byte, k int) ([]float64, int, error)) (*Sample, error) {
	dm, err := cborOptions(len(data)).DecMode()
	if err != nil {
		return nil, fmt.Errorf("dataset: CBOR decoding options: %w", err)
	}
	var doc acquisitionDoc[cbor.RawMessage]
	rest, err := dm.UnmarshalFirst(data, &doc)
	if err != nil {
		return nil, cborError(dm, data, err)
	}
	if doc.Payload == nil {
		return nil, formatError("no payload map")
	}
	a, values := doc.acquisition(), doc.Payload.Values
	if len(values) == 0 || values[0] == 0xf6 || values[0] == 0xf7 { // absent, null or undefined
		return nil, formatError("payload.values is missing")
	}
	if ref, ok := binaryRef(dm, values); ok {
		if err := a.binaryValues(ref, rest); err != nil {
			return nil, err
		}
		return a.sample()
	}
	if len(rest) > 0 {
		return nil, formatError("%d bytes after the CBOR data item", len(rest))
	}
	if len(a.sensors) == 0 {
		return nil, formatError("payload.sensors is missing or empty")
	}
	if a.values, a.rows, err = readValues(values, len(a.sensors)); err != nil {
		return nil, err
	}
	return a.sample()
}

// cborError describes err, an error of decoding the data acquisition CBOR
// file data with dm. A field of the wrong type or a map with a duplicate
// key is named by its path.
func cborError(dm cbor.DecMode, data []byte, err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return formatError("empty: no CBOR data item")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return formatError("truncated CBOR: unexpected end of data")
	}
	var te *cbor.UnmarshalTypeError
	var de *cbor.DupMapKeyError
	if errors.As(err, &te) || errors.As(err, &de) {
		var item cbor.RawMessage
		if _, e := dm.UnmarshalFirst(data, &item); e == nil {
			if msg := fieldError(dm, item, reflect.TypeFor[acquisitionDoc[cbor.RawMessage]](), ""); msg != "" {
				return formatError("%s", msg)
			}
		}
	}
	return formatError("malformed CBOR: %v", err)
}

var cborUnmarshaler = reflect.TypeFor[cbor.Unmarshaler]()

// fieldError describes the first field (in the order of the Go type's
// fields) of the CBOR data item raw that cannot be decoded into type t, or
// a map of it with a duplicate key, naming it by its path from path
// ("payload.sensors[0].name"). It returns "" when raw decodes into t. It
// is only called once decoding has failed, to say where.
func fieldError(dm cbor.DecMode, raw []byte, t reflect.Type, path string) string {
	if reflect.PointerTo(t).Implements(cborUnmarshaler) || dm.Unmarshal(raw, reflect.New(t).Interface()) == nil {
		return ""
	}
	what := path
	if what == "" {
		what = "the CBOR data item"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return fieldError(dm, raw, t.Elem(), path)
	case reflect.Struct:
		var m map[any]cbor.RawMessage
		if err := dm.Unmarshal(raw, &m); err != nil {
			var de *cbor.DupMapKeyError
			switch {
			case errors.As(err, &de):
				return fmt.Sprintf("%s has the key %#v twice", what, de.Key)
			case raw[0]>>5 != 5:
				return what + " is not a map"
			}
			return what + " has a map key that is not a text string or an integer"
		}
		for k := range m {
			switch k.(type) {
			case string, int64, uint64:
			default:
				return what + " has a map key that is not a text string or an integer"
			}
		}
		for i := range t.NumField() {
			f := t.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if v, ok := m[key]; ok {
				sub := key
				if path != "" {
					sub = path + "." + key
				}
				if msg := fieldError(dm, v, f.Type, sub); msg != "" {
					return msg
				}
			}
		}
	case reflect.Slice:
		var a []cbor.RawMessage
		if dm.Unmarshal(raw, &a) != nil {
			return what + " is not an array"
		}
		for i, v := range a {
			if msg := fieldError(dm, v, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); msg != "" {
				return msg
			}
		}
	case reflect.String:
		return what + " is not a text string"
	case reflect.Float64:
		return what + " is not a number"
	}
	return ""
}

// binaryRef recognises the payload.values of the binary payload variant,
// ["Ref-Binary-<type>"] (any case, padded with spaces), and returns the
// type.
func binaryRef(dm cbor.DecMode, values []byte) (string, bool) {
	r := cborReader{b: values}
	if major, _, _, ok := r.head(); !ok || major != 4 || r.peek()>>5 != 3 {
		return "", false // not an array starting with a text string
	}
	var ref []string
	if dm.Unmarshal(values, &ref) != nil || len(ref) != 1 {
		return "", false
	}
	return strings.CutPrefix(strings.ToLower(strings.TrimRight(ref[0], " ")), "ref-binary-")
}

// readCBORValues reads payload.values, a well-formed CBOR data item (the
// first step checked it): an array with one array per value holding one
// number per sensor (k of them), or, for a single sensor, an array of
// numbers. Numbers are integers (down to -2⁶³, as fxamacker/cbor reads them
// into a float64) and half-, single- and double-precision floats; arrays may
// have indefinite lengths; tags are refused. It returns the values
// interleaved by value and the number of values per sensor.
func readCBORValues(raw []byte, k int) (values []float64, rows int, err error) {
	r := cborReader{b: raw}
	major, n, indef, ok := r.head()
	if !ok || major != 4 {
		return nil, 0, formatError("payload.values is not an array")
	}
	if !r.next(0, n, indef) {
		return nil, 0, nil // empty: the sample says so
	}
	nested := r.peek()>>5 == 4
	if !nested && k != 1 {
		if _, ok := r.number(); ok {
			return nil, 0, formatError("payload.values is a flat array but there are %d sensors", k)
		}
		return nil, 0, r.elementError("[0]", "an array (one number per sensor)")
	}
	if !indef {
		values = make([]float64, 0, min(n*uint64(k), uint64(len(raw))))
	}
	for ; rows == 0 || r.next(rows, n, indef); rows++ {
		if !nested {
			v, ok := r.number()
			if !ok {
				return nil, 0, r.elementError(fmt.Sprintf("[%d]", rows), "a number")
			}
			values = append(values, v)
			continue
		}
		start := r.i
		major, m, rowIndef, ok := r.head()
		if !ok || major != 4 {
			r.i = start
			return nil, 0, r.elementError(fmt.Sprintf("[%d]", rows), "an array (one number per sensor)")
		}
		if !rowIndef && m != uint64(k) {
			return nil, 0, formatError("payload.values[%d] has %d values, want %d (one per sensor)", rows, m, k)
		}
		j := 0
		for ; r.next(j, m, rowIndef); j++ {
			v, ok := r.number()
			if !ok {
				return nil, 0, r.elementError(fmt.Sprintf("[%d][%d]", rows, j), "a number")
			}
			values = append(values, v)
		}
		if j != k {
			return nil, 0, formatError("payload.values[%d] has %d values, want %d (one per sensor)", rows, j, k)
		}
	}
	return values, rows, nil
}

// cborReader walks a CBOR data item that fxamacker/cbor found well formed;
// it still never reads past the end of b.
type cborReader struct {
	b []byte
	i int
}

// head reads the head of the data item at the reader's position: its
// major type and argument (for a float, its bits), or that its length is
// indefinite. It reports !ok at the end of b or for a malformed head.
func (r *cborReader) head() (major byte, arg uint64, indef, ok bool) {
	b := r.b[r.i:]
	if len(b) == 0 {
		return 0, 0, false, false
	}
	major, info := b[0]>>5, b[0]&0x1f
	switch {
	case info < 24:
		r.i++
		return major, uint64(info), false, true
	case info == 24 && len(b) >= 2:
		r.i += 2
		return major, uint64(b[1]), false, true
	case info == 25 && len(b) >= 3:
		r.i += 3
		return major, uint64(binary.BigEndian.Uint16(b[1:])), false, true
	case info == 26 && len(b) >= 5:
		r.i += 5
		return major, uint64(binary.BigEndian.Uint32(b[1:])), false, true
	case info == 27 && len(b) >= 9:
		r.i += 9
		return major, binary.BigEndian.Uint64(b[1:]), false, true
	case info == 31:
		r.i++
		return major, 0, true, true
	}
	return 0, 0, false, false
}

// peek returns the first byte of the data item at the reader's position, or
// the break byte 0xff at the end of b.
func (r *cborReader) peek() byte {
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0xff
}

// next reports whether element i of an array of n elements (or of
// indefinite length) follows, reading the break byte that ends an array of
// indefinite length.
func (r *cborReader) next(i int, n uint64, indef bool) bool {
	if !indef {
		return uint64(i) < n
	}
	if r.peek() == 0xff {
		r.i++
		return false
	}
	return true
}

// number reads the number at the reader's position. It reports !ok, and
// reads nothing, when the data item is not a number a float64 holds.
func (r *cborReader) number() (v float64, ok bool) {
	b := r.b[r.i:]
	switch {
	case len(b) == 0:
	case b[0] == 0xfb && len(b) >= 9: // double
		r.i += 9
		return math.Float64frombits(binary.BigEndian.Uint64(b[1:])), true
	case b[0] == 0xfa && len(b) >= 5: // single
		r.i += 5
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b[1:]))), true
	case b[0] == 0xf9 && len(b) >= 3: // half
		r.i += 3
		return halfToFloat(binary.BigEndian.Uint16(b[1:])), true
	case b[0] < 0x40: // integer
		start := r.i
		major, arg, indef, ok := r.head()
		switch {
		case !ok || indef:
		case major == 0:
			return float64(arg), true
		case arg <= math.MaxInt64:
			return float64(-1 - int64(arg)), true
		}
		r.i = start
	}
	return 0, false
}

// elementError describes the element of payload.values at the reader's
// position, which is not what was wanted.
func (r *cborReader) elementError(index, want string) error {
	switch c := r.peek(); {
	case c>>5 == 3:
		return formatError("payload.values%s is a string (a reference to an attachment), which is not supported", index)
	case c>>5 == 1:
		if _, ok := r.number(); !ok {
			return formatError("payload.values%s is below -2⁶³", index)
		}
	case c>>5 == 6:
		return formatError("payload.values%s is tagged; want %s", index, want)
	}
	return formatError("payload.values%s is not %s", index, want)
}

// halfToFloat converts an IEEE 754 half-precision value.
func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant, -24)
	case 31:
		if mant == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(mant+1024, exp-25)
}
