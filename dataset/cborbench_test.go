package dataset

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
)

// cborDoc is the layout of a data acquisition file, in the order Edge
// Impulse writes its fields (fxamacker/cbor reads the json tags).
type cborDoc struct {
	Protected struct {
		Ver string `json:"ver"`
		Alg string `json:"alg"`
	} `json:"protected"`
	Signature string `json:"signature"`
	Payload   struct {
		DeviceType string      `json:"device_type"`
		IntervalMs float64     `json:"interval_ms"`
		Sensors    []Sensor    `json:"sensors"`
		Values     [][]float64 `json:"values"`
	} `json:"payload"`
}

// gesturesCBOR converts the acquisition JSON files of gestures-continuous
// to CBOR, each number in the shortest float (half, single or double) that
// holds it exactly, and checks that every CBOR file decodes to the sample
// of its JSON file.
func gesturesCBOR(b *testing.B) (files [][]byte, total int64) {
	dir := testenv.SharedDataset(b, "gestures-continuous")
	paths, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if len(paths) == 0 {
		b.Fatalf("no acquisition JSON in %s", dir)
	}
	enc, err := cbor.EncOptions{ShortestFloat: cbor.ShortestFloat16}.EncMode()
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		var doc cborDoc
		if err := json.Unmarshal(data, &doc); err != nil {
			b.Fatal(err)
		}
		c, err := enc.Marshal(doc)
		if err != nil {
			b.Fatal(err)
		}
		want, err := DecodeSample("x.json", data)
		if err != nil {
			b.Fatal(err)
		}
		got, err := DecodeSample("x.cbor", c)
		if err != nil {
			b.Fatalf("%s as CBOR: %v", p, err)
		}
		if got.IntervalMs != want.IntervalMs || !slices.Equal(got.Sensors, want.Sensors) || !slices.Equal(got.Values, want.Values) {
			b.Fatalf("%s: the CBOR sample differs from the JSON one", p)
		}
		files = append(files, c)
		total += int64(len(c))
	}
	return files, total
}

// BenchmarkAcquisitionCBOR decodes the samples of gestures-continuous
// converted to CBOR (96 files of 3-axis accelerometer data, 2.8 MB) with
// the package's decoder (fxamacker/cbor for the document, readCBORValues
// for the values) and with fxamacker/cbor alone (std).
func BenchmarkAcquisitionCBOR(b *testing.B) {
	files, total := gesturesCBOR(b)
	for _, c := range []struct {
		name   string
		decode func([]byte) (*Sample, error)
	}{
		{"decode", decodeAcquisitionCBOR},
		{"std", func(data []byte) (*Sample, error) { return decodeCBOR(data, readCBORValuesReference) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				for _, f := range files {
					if _, err := c.decode(f); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
