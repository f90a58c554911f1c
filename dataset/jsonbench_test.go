package dataset

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
)

// BenchmarkAcquisitionJSON decodes every acquisition JSON file of
// gestures-continuous, gestures-magic-wand and fan-unbalance with the
// package's reader (encoding/json for the document, readValues for the
// values) and with encoding/json alone (std).
func BenchmarkAcquisitionJSON(b *testing.B) {
	var files [][]byte
	var total int64
	for _, name := range []string{"gestures-continuous", "gestures-magic-wand", "fan-unbalance"} {
		dir := testenv.SharedDataset(b, name)
		paths, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
		for _, p := range paths {
			d, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, d)
			total += int64(len(d))
		}
	}
	for _, c := range []struct {
		name   string
		decode func([]byte) (*Sample, error)
	}{{"reader", decodeAcquisitionJSON}, {"std", decodeAcquisitionJSONReference}} {
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
