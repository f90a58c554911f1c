// Package cbor decodes CBOR (RFC 8949) data items into plain Go values, for
// Edge Impulse's data acquisition files.
//
// Decoded values are: float64 for integers and floats (integers beyond ±2⁵³
// lose precision, as they would in JSON), string for text strings, []byte for
// byte strings, bool, nil (null and undefined), []any for arrays and
// map[string]any for maps. Map keys must be text strings or integers (which
// become their decimal text). Tags are skipped and their content decoded.
// Indefinite-length strings, arrays and maps are supported.
//
// The decoder never panics and never allocates more than the input could
// describe: declared lengths are checked against the bytes left, and nesting
// is limited to MaxDepth.
package cbor

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays, maps and tags the decoder
// accepts.
const MaxDepth = 64

// Error reports malformed CBOR: the byte offset and what is wrong there.
type Error struct {
	Offset int
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("cbor: byte %d: %s", e.Offset, e.Reason) }

// ErrTruncated is wrapped by errors about input that ends inside a data item.
var ErrTruncated = errors.New("unexpected end of data")

type truncError struct{ off int }

func (e *truncError) Error() string { return fmt.Sprintf("cbor: byte %d: %s", e.off, ErrTruncated) }
func (e *truncError) Unwrap() error { return ErrTruncated }

// breakMark is returned internally for the 0xff "break" byte.
type breakMark struct{}

type decoder struct {
	b   []byte
	off int
}

// Decode decodes the first data item of b and returns it with the number of
// bytes it occupies. Bytes after the item are not examined.
func Decode(b []byte) (v any, n int, err error) {
	d := decoder{b: b}
	v, err = d.value(0)
	if err != nil {
		return nil, 0, err
	}
	if _, ok := v.(breakMark); ok {
		return nil, 0, &Error{Offset: 0, Reason: "unexpected break byte 0xff"}
	}
	return v, d.off, nil
}

func (d *decoder) fail(off int, format string, args ...any) error {
	return &Error{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// head reads an initial byte and its argument. For additional information 31
// (indefinite length) it returns indef = true.
func (d *decoder) head() (major byte, info byte, arg uint64, indef bool, err error) {
	if d.off >= len(d.b) {
		return 0, 0, 0, false, &truncError{d.off}
	}
	start := d.off
	ib := d.b[d.off]
	d.off++
	major, info = ib>>5, ib&0x1f
	switch {
	case info < 24:
		return major, info, uint64(info), false, nil
	case info <= 27:
		size := 1 << (info - 24)
		if len(d.b)-d.off < size {
			return 0, 0, 0, false, &truncError{d.off}
		}
		for i := 0; i < size; i++ {
			arg = arg<<8 | uint64(d.b[d.off+i])
		}
		d.off += size
		return major, info, arg, false, nil
	case info == 31:
		if major == 0 || major == 1 || major == 6 {
			return 0, 0, 0, false, d.fail(start, "indefinite length not allowed for major type %d", major)
		}
		return major, info, 0, true, nil
	default:
		return 0, 0, 0, false, d.fail(start, "reserved additional information %d", info)
	}
}

func (d *decoder) value(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, d.fail(d.off, "nesting deeper than %d", MaxDepth)
	}
	start := d.off
	major, info, arg, indef, err := d.head()
	if err != nil {
		return nil, err
	}
	switch major {
	case 0:
		return float64(arg), nil
	case 1:
		return -1 - float64(arg), nil
	case 2, 3:
		var s []byte
		if indef {
			for {
				if d.off >= len(d.b) {
					return nil, &truncError{d.off}
				}
				if d.b[d.off] == 0xff {
					d.off++
					break
				}
				cs := d.off
				m, _, l, ind, err := d.head()
				if err != nil {
					return nil, err
				}
				if m != major || ind {
					return nil, d.fail(cs, "chunk of an indefinite-length string is not a definite string of the same type")
				}
				c, err := d.bytes(l)
				if err != nil {
					return nil, err
				}
				s = append(s, c...)
			}
		} else {
			c, err := d.bytes(arg)
			if err != nil {
				return nil, err
			}
			s = c
		}
		if major == 2 {
			return append([]byte(nil), s...), nil
		}
		if !utf8.Valid(s) {
			return nil, d.fail(start, "text string is not valid UTF-8")
		}
		return string(s), nil
	case 4:
		if indef {
			var a []any
			for {
				v, err := d.value(depth + 1)
				if err != nil {
					return nil, err
				}
				if _, ok := v.(breakMark); ok {
					return a, nil
				}
				a = append(a, v)
			}
		}
		// Every element takes at least one byte.
		if arg > uint64(len(d.b)-d.off) {
			return nil, &truncError{len(d.b)}
		}
		a := make([]any, arg)
		for i := range a {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, ok := v.(breakMark); ok {
				return nil, d.fail(d.off-1, "unexpected break byte 0xff in a definite-length array")
			}
			a[i] = v
		}
		return a, nil
	case 5:
		if !indef && arg > uint64(len(d.b)-d.off)/2 {
			return nil, &truncError{len(d.b)}
		}
		m := make(map[string]any)
		for i := uint64(0); indef || i < arg; i++ {
			ks := d.off
			k, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, ok := k.(breakMark); ok {
				if indef {
					return m, nil
				}
				return nil, d.fail(ks, "unexpected break byte 0xff in a definite-length map")
			}
			var key string
			switch kk := k.(type) {
			case string:
				key = kk
			case float64:
				if kk != math.Trunc(kk) {
					return nil, d.fail(ks, "map key is not a text string or an integer")
				}
				key = strconv.FormatFloat(kk, 'f', -1, 64)
			default:
				return nil, d.fail(ks, "map key is not a text string or an integer")
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, ok := v.(breakMark); ok {
				return nil, d.fail(d.off-1, "map key %q has no value", key)
			}
			m[key] = v
		}
		return m, nil
	case 6:
		return d.value(depth + 1)
	default: // 7: simple values and floats
		if indef {
			return breakMark{}, nil
		}
		switch info {
		case 20:
			return false, nil
		case 21:
			return true, nil
		case 22, 23:
			return nil, nil
		case 25:
			return halfToFloat(uint16(arg)), nil
		case 26:
			return float64(math.Float32frombits(uint32(arg))), nil
		case 27:
			return math.Float64frombits(arg), nil
		}
		return nil, d.fail(start, "unsupported simple value %d", arg)
	}
}

func (d *decoder) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(d.b)-d.off) {
		return nil, &truncError{len(d.b)}
	}
	s := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
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
