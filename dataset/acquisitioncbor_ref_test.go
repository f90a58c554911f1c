package dataset

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// readCBORValuesReference reads payload.values with fxamacker/cbor alone
// instead of readCBORValues: into [][]*float64 or, for a single sensor,
// []*float64 (a nil pointer is a null, which the reader refuses as it is
// not a number), with tags refused as the reader refuses them.
func readCBORValuesReference(raw []byte, k int) ([]float64, int, error) {
	opts := cborOptions(len(raw))
	opts.TagsMd = cbor.TagsForbidden
	dm, err := opts.DecMode()
	if err != nil {
		return nil, 0, err
	}
	var rows [][]*float64
	if err := dm.Unmarshal(raw, &rows); err == nil {
		var values []float64
		for i, r := range rows {
			if len(r) != k {
				return nil, 0, formatError("payload.values[%d] has %d values, want %d", i, len(r), k)
			}
			for j, p := range r {
				if p == nil {
					return nil, 0, formatError("payload.values[%d][%d] is null", i, j)
				}
				values = append(values, *p)
			}
		}
		return values, len(rows), nil
	}
	var flat []*float64
	if err := dm.Unmarshal(raw, &flat); err != nil {
		return nil, 0, formatError("payload.values: %v", err)
	}
	if k != 1 {
		return nil, 0, formatError("payload.values is a flat array but there are %d sensors", k)
	}
	values := make([]float64, len(flat))
	for i, p := range flat {
		if p == nil {
			return nil, 0, formatError("payload.values[%d] is null", i)
		}
		values[i] = *p
	}
	return values, len(values), nil
}

// sameAsCBORReference checks the CBOR reader (fxamacker/cbor with
// readCBORValues) against fxamacker/cbor's reading alone: both accept or
// both refuse, and accepted files give the same sample.
func sameAsCBORReference(t *testing.T, data []byte) {
	t.Helper()
	got, err := decodeAcquisitionCBOR(data)
	ref, errRef := decodeCBOR(data, readCBORValuesReference)
	switch {
	case err == nil && errRef != nil:
		t.Fatalf("the reader accepts what fxamacker/cbor refuses (%v): %x", errRef, data)
	case err != nil && errRef == nil:
		t.Fatalf("the reader refuses (%v) what fxamacker/cbor accepts: %x", err, data)
	case err == nil:
		if got.IntervalMs != ref.IntervalMs || got.DeviceName != ref.DeviceName || got.DeviceType != ref.DeviceType ||
			!slices.Equal(got.Sensors, ref.Sensors) || !slices.Equal(got.Values, ref.Values) {
			t.Fatalf("samples differ for %x:\nreader    %+v\nreference %+v", data, got, ref)
		}
	}
}

// cborValuesDoc returns a data acquisition CBOR file with k sensors whose
// payload.values is the data item valuesHex (hex, spaces allowed).
func cborValuesDoc(k int, valuesHex string) []byte {
	var sensors strings.Builder
	fmt.Fprintf(&sensors, "%02x", 0x80+k)
	for i := range k {
		fmt.Fprintf(&sensors, "a1 646e616d65 61%02x", 'a'+i) // {"name": "a"}, …
	}
	doc := "a1 677061796c6f6164 a3 6b696e74657276616c5f6d73 0a 6773656e736f7273" + sensors.String() + "6676616c756573" + valuesHex
	b, err := hex.DecodeString(strings.ReplaceAll(doc, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// cborValuesCases are edge cases of payload.values: every form of number
// (integers of each head size, down to and below -2⁶³; half, single and
// double floats, subnormal, infinite and NaN), arrays of definite and
// indefinite length, rows of the wrong width, flat and nested forms mixed,
// and what is not a number (null, undefined, booleans, strings, tags,
// bignums, unassigned simple values, maps).
var cborValuesCases = []struct {
	k      int
	values string
}{
	{1, "83 01 20 fb3ff8000000000000"},
	{1, "86 17 1818 1903e8 1a000f4240 1b000000e8d4a51000 3903e7"},
	{1, "81 3b7fffffffffffffff"},
	{1, "81 3b8000000000000000"},
	{1, "81 1bffffffffffffffff"},
	{1, "9f 01 f93c00 fa3fc00000 ff"},
	{1, "85 f97bff f90001 f98000 f90400 fa00000001"},
	{1, "81 f97c00"},
	{1, "81 fb7ff8000000000000"},
	{2, "82 82 0102 9f 0304 ff"},
	{2, "9f 82 0102 82 0304 ff"},
	{2, "82 82 0102 81 03"},
	{2, "81 83 010203"},
	{2, "81 9f 01 ff"},
	{2, "82 01 02"},
	{3, "81 83 f93c00 fa3fc00000 fbbff8000000000000"},
	{1, "80"},
	{1, "9f ff"},
	{1, "81 80"},
	{1, "82 01 81 02"},
	{1, "82 81 01 02"},
	{1, "82 81 01 81 02"},
	{1, "81 f6"},
	{1, "81 81 f6"},
	{1, "81 f7"},
	{1, "81 f4"},
	{1, "81 6178"},
	{1, "82 01 6178"},
	{1, "81 7f 6178 ff"},
	{1, "81 c1 01"},
	{1, "81 c0 01"},
	{1, "81 d9d9f7 01"},
	{1, "81 81 c1 01"},
	{1, "c1 81 01"},
	{1, "81 c2 41 01"},
	{1, "81 f0"},
	{1, "81 a0"},
	{1, "a0"},
	{1, "01"},
	{1, "f6"},
	{1, "6e5265662d42696e6172792d693136"},
	{1, "81 6e5265662d42696e6172792d693136"},
	{1, "82 6e5265662d42696e6172792d693136 01"},
	{2, "81 6e5265662d42696e6172792d693136"},
}

func TestCBORReaderMatchesFxamacker(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"acc.cbor", "signed.cbor", "audio-binary.cbor"} {
		sameAsCBORReference(t, readSample(t, n))
	}
	for _, c := range cborValuesCases {
		sameAsCBORReference(t, cborValuesDoc(c.k, c.values))
	}
}

// FuzzCBORReader compares the reader with fxamacker/cbor's reading alone.
func FuzzCBORReader(f *testing.F) {
	for _, n := range []string{"acc.cbor", "signed.cbor", "audio-binary.cbor"} {
		f.Add(readSample(f, n))
	}
	for _, c := range cborValuesCases {
		f.Add(cborValuesDoc(c.k, c.values))
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameAsCBORReference(t, data) })
}

// A recording of more values than fxamacker/cbor's default limit on array
// sizes (131072) decodes: the limits follow from the file's size.
func TestCBORLongRecording(t *testing.T) {
	t.Parallel()
	const n = 200000
	var values strings.Builder
	fmt.Fprintf(&values, "9a%08x", n)
	for i := range n {
		fmt.Fprintf(&values, "19%04x", i%60000)
	}
	data := cborValuesDoc(1, values.String())
	var doc acquisitionDoc[[]float64]
	if err := cbor.Unmarshal(data, &doc); err == nil {
		t.Fatal("fxamacker/cbor's default options accept the file; the test shows nothing")
	}
	s, err := DecodeSample("long.cbor", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Values) != n {
		t.Fatalf("%d values, want %d", len(s.Values), n)
	}
	for i, v := range s.Values {
		if v != float64(i%60000) {
			t.Fatalf("value %d = %v, want %d", i, v, i%60000)
		}
	}
}
