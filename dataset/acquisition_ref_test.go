package dataset

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf8"
)

// decodeAcquisitionJSONReference reads payload.values with encoding/json
// (into [][]float64 or []float64) instead of readValues; the reader is
// checked against it.
func decodeAcquisitionJSONReference(data []byte) (*Sample, error) {
	a, values, err := readAcquisitionJSON(data)
	if err != nil {
		return nil, err
	}
	if err := a.jsonValues(values); err != nil {
		return nil, err
	}
	return a.sample()
}

// jsonValues reads payload.values: one array per value with one number per
// sensor, or, for a single sensor, a flat array of numbers.
func (a *acquisition) jsonValues(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return formatError("payload.values is missing")
	}
	k := len(a.sensors)
	if k == 0 {
		return formatError("payload.sensors is missing or empty")
	}
	var rows [][]float64
	if err := json.Unmarshal(raw, &rows); err == nil {
		a.values = make([]float64, 0, len(rows)*k)
		for i, r := range rows {
			if len(r) != k {
				return formatError("payload.values[%d] has %d values, want %d (one per sensor)", i, len(r), k)
			}
			a.values = append(a.values, r...)
		}
		a.rows = len(rows)
		return nil
	}
	var flat []float64
	if err := json.Unmarshal(raw, &flat); err == nil {
		if k != 1 {
			return formatError("payload.values is a flat array but there are %d sensors", k)
		}
		a.values, a.rows = flat, len(flat)
		return nil
	}
	if bytes.Contains(raw, []byte(`"`)) {
		return formatError("payload.values holds strings (references to attachments), which are not supported")
	}
	return formatError("payload.values is not an array of numbers or of arrays of numbers")
}

// sameAsReference checks the JSON reader (encoding/json with readValues)
// against encoding/json's reading alone: both accept or both refuse, and
// accepted documents give the same sample. Documents with null (which
// encoding/json turns into 0 inside payload.values, where readValues
// refuses it) are only required to be refused or accepted consistently when
// the reader accepts them.
func sameAsReference(t *testing.T, data []byte) {
	t.Helper()
	fast, errFast := decodeAcquisitionJSON(data)
	ref, errRef := decodeAcquisitionJSONReference(data)
	quirky := bytes.Contains(data, []byte("null")) || !utf8.Valid(data)
	switch {
	case errFast == nil && errRef != nil:
		t.Fatalf("the reader accepts what encoding/json refuses (%v): %q", errRef, data)
	case errFast != nil && errRef == nil && !quirky:
		t.Fatalf("the reader refuses (%v) what encoding/json accepts: %q", errFast, data)
	case errFast == nil:
		if fast.IntervalMs != ref.IntervalMs || fast.DeviceName != ref.DeviceName || fast.DeviceType != ref.DeviceType ||
			!slices.Equal(fast.Sensors, ref.Sensors) || !slices.Equal(fast.Values, ref.Values) {
			t.Fatalf("samples differ for %q:\none-pass  %+v\nreference %+v", data, fast, ref)
		}
	}
}

// jsonParserDocs are edge cases of the JSON grammar and of encoding/json's
// reading (case-insensitive and duplicate keys, escapes, surrogates, numbers,
// wrong types).
var jsonParserDocs = []string{
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[1,2.5e3,-0.25]}}`,
	`{"PAYLOAD":{"Interval_MS":10,"SENSORS":[{"NAME":"x","Units":"g"}],"Values":[[1],[2]]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"a\"b\\u00e9\ud83d\ude00"}],"values":[1]}}`,
	`{"payload":{"interval_ms":1,"sensors":[{"name":"x"}],"values":[1]},"payload":{"device_type":"d","values":[2]}}`,
	`{"payload":{"interval_ms":1,"sensors":[{"name":"x"}],"values":[1]},"extra":[{"a":[true,false,null,"x"]}]}`,
	` {"protected":{"ver":"v1","alg":"HS256","iat":1},"signature":"ab","payload":{"interval_ms":1e1,"sensors":[{"name":"x"},{"name":"y"}],"values":[[1,2],[3,4]]}} `,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[1e400]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[01]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[1.]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[[1],2]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[1,]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x\ty"}],"values":[1]}}`,
	`{"payload":{"interval_ms":"10","sensors":[{"name":"x"}],"values":[1]}}`,
	`{"payload":{"device_name":5,"interval_ms":10,"sensors":[{"name":"x"}],"values":[1]}}`,
	`{"payload":[],"values":[1]}`,
	`{"payload":{"interval_ms":10,"sensors":{"name":"x"},"values":[1]}}`,
	`{"protected":5,"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[1]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[1]}}}`,
	`{"p\u0061yload":{"interval_ms":10,"\u017fensors":[{"n\u0041me":"\ud800x\udc00\u00e9"}],"values":[1]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"\u0000\/\b\f\n\r\t"}],"values":[1],"\u212aey":"\uD83D\uDE00"}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x\u12"}],"values":[1]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x\uZZZZ"}],"values":[1]}}`,
	`{"payload":{"interval_ms":10,"sensors":[{"name":"x\q"}],"values":[1]}}`,
}

func TestJSONParserMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, d := range jsonParserDocs {
		sameAsReference(t, []byte(d))
	}
}

// FuzzJSONParser compares the reader with encoding/json's reading alone.
func FuzzJSONParser(f *testing.F) {
	for _, n := range []string{"acc.json", "signed.json"} {
		f.Add(readSample(f, n))
	}
	for _, d := range jsonParserDocs {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameAsReference(t, data) })
}
