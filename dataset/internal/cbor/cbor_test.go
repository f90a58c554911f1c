package cbor

import (
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"testing"
)

// The cases are the examples of RFC 8949 Appendix A (hex encoding and
// decoded value).
func TestDecodeRFCExamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		hex  string
		want any
	}{
		{"00", 0.0},
		{"17", 23.0},
		{"1818", 24.0},
		{"1903e8", 1000.0},
		{"1a000f4240", 1000000.0},
		{"1b000000e8d4a51000", 1000000000000.0},
		{"20", -1.0},
		{"3863", -100.0},
		{"3903e7", -1000.0},
		{"f90000", 0.0},
		{"f93c00", 1.0},
		{"fb3ff199999999999a", 1.1},
		{"f93e00", 1.5},
		{"f97bff", 65504.0},
		{"fa47c35000", 100000.0},
		{"f90001", 5.960464477539063e-08},
		{"f90400", 6.103515625e-05},
		{"f9c400", -4.0},
		{"fbc010666666666666", -4.1},
		{"f97c00", math.Inf(1)},
		{"f9fc00", math.Inf(-1)},
		{"f4", false},
		{"f5", true},
		{"f6", nil},
		{"f7", nil},
		{"c074323031332d30332d32315432303a30343a30305a", "2013-03-21T20:04:00Z"},
		{"4401020304", []byte{1, 2, 3, 4}},
		{"60", ""},
		{"6161", "a"},
		{"62c3bc", "\u00fc"},
		{"80", []any{}},
		{"83010203", []any{1.0, 2.0, 3.0}},
		{"8301820203820405", []any{1.0, []any{2.0, 3.0}, []any{4.0, 5.0}}},
		{"a0", map[string]any{}},
		{"a201020304", map[string]any{"1": 2.0, "3": 4.0}},
		{"a26161016162820203", map[string]any{"a": 1.0, "b": []any{2.0, 3.0}}},
		{"5f42010243030405ff", []byte{1, 2, 3, 4, 5}},
		{"7f657374726561646d696e67ff", "streaming"},
		{"9fff", []any(nil)},
		{"9f018202039f0405ffff", []any{1.0, []any{2.0, 3.0}, []any{4.0, 5.0}}},
		{"83018202039f0405ff", []any{1.0, []any{2.0, 3.0}, []any{4.0, 5.0}}},
		{"bf61610161629f0203ffff", map[string]any{"a": 1.0, "b": []any{2.0, 3.0}}},
		{"bf6346756ef563416d7421ff", map[string]any{"Fun": true, "Amt": -2.0}},
	}
	for _, c := range cases {
		b, err := hex.DecodeString(c.hex)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := Decode(b)
		if err != nil {
			t.Errorf("%s: %v", c.hex, err)
			continue
		}
		if n != len(b) {
			t.Errorf("%s: consumed %d bytes, want %d", c.hex, n, len(b))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.hex, got, c.want)
		}
	}
	// NaN does not compare equal; check it separately.
	if v, _, err := Decode([]byte{0xf9, 0x7e, 0x00}); err != nil || !math.IsNaN(v.(float64)) {
		t.Errorf("f97e00: got %v, %v; want NaN", v, err)
	}
}

func TestDecodeStopsAfterFirstItem(t *testing.T) {
	t.Parallel()
	b := []byte{0x82, 0x01, 0x02, 0xde, 0xad}
	v, n, err := Decode(b)
	if err != nil || n != 3 || !reflect.DeepEqual(v, []any{1.0, 2.0}) {
		t.Errorf("got %v, %d, %v; want [1 2], 3, nil", v, n, err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, hex string
		trunc     bool
	}{
		{"empty", "", true},
		{"truncated uint16", "19 03", true},
		{"truncated string", "65 6162", true},
		{"truncated array", "83 0102", true},
		{"array length beyond input", "9b 00000000ffffffff 00", true},
		{"map length beyond input", "bb 00000000ffffffff 00", true},
		{"string length beyond input", "7b 7fffffffffffffff 61", true},
		{"unterminated indefinite array", "9f 0102", true},
		{"unterminated indefinite string", "7f 6161", true},
		{"reserved info", "1c", false},
		{"indefinite integer", "1f", false},
		{"lone break", "ff", false},
		{"break in definite array", "82 01 ff", false},
		{"map key without value", "bf 6161 ff", false},
		{"array as map key", "a1 80 01", false},
		{"invalid utf-8", "62 c328", false},
		{"bad string chunk", "7f 01 ff", false},
		{"unsupported simple value", "f8 20", false},
	}
	for _, c := range cases {
		b, err := hex.DecodeString(stripSpaces(c.hex))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = Decode(b)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if got := errors.Is(err, ErrTruncated); got != c.trunc {
			t.Errorf("%s: errors.Is(ErrTruncated) = %v, want %v (%v)", c.name, got, c.trunc, err)
		}
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	t.Parallel()
	b := make([]byte, 0, 2*MaxDepth+4)
	for i := 0; i < MaxDepth+2; i++ {
		b = append(b, 0x81)
	}
	b = append(b, 0x00)
	if _, _, err := Decode(b); err == nil {
		t.Error("no error for nesting deeper than MaxDepth")
	}
}

func stripSpaces(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// FuzzDecode checks that no input makes the decoder panic and that the
// consumed length stays within the input.
func FuzzDecode(f *testing.F) {
	for _, h := range []string{"a26161016162820203", "9f018202039f0405ffff", "bf6346756ef563416d7421ff", "5f42010243030405ff", "fb3ff199999999999a"} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, n, err := Decode(b)
		if err == nil && (n <= 0 || n > len(b)) {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
	})
}
