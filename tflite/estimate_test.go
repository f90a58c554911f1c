package tflite

import (
	"bytes"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// TestEstimateDescribesTheFile: the device estimator's TensorFlow Lite
// Micro figures describe the exported file, whose size they take as the
// flatbuffer's (and add to the ROM), for every architecture and variant.
func TestEstimateDescribesTheFile(t *testing.T) {
	for _, c := range architectures(t) {
		for _, v := range []Variant{Int8, Float32} {
			var buf bytes.Buffer
			if err := Export(&buf, c.net, c.q, v); err != nil {
				t.Fatal(err)
			}
			var g *learn.Graph
			if v == Int8 {
				g = c.q.Graph()
			} else {
				g = c.net.Graph()
			}
			n, err := device.FromGraph(g)
			if err != nil {
				t.Fatal(err)
			}
			p, err := device.ProfileNetwork(n, device.ProfileConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if p.FlatbufferBytes != buf.Len() || p.TFLite.Model != buf.Len() {
				t.Errorf("%s %s: estimate's flatbuffer %d B (ROM model part %d B), the file has %d B", c.name, v, p.FlatbufferBytes, p.TFLite.Model, buf.Len())
			}
		}
	}
}
