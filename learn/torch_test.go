package learn

import (
	"encoding/json"
	"os"
	"testing"
)

type torchCase struct {
	Name         string        `json:"name"`
	VisualLayers []VisualLayer `json:"visualLayers"`
	Input        struct {
		Kind                    string `json:"kind"`
		Width, Height, Channels int
	} `json:"input"`
	Outputs    int         `json:"outputs"`
	Regression bool        `json:"regression"`
	Params     [][]float64 `json:"params"`
	X          [][]float64 `json:"x"`
	Y          [][]float64 `json:"y"`
}

var inputKinds = map[string]InputKind{"flat": InputFlat, "mfcc": InputMFCC, "mfe": InputMFE, "spectrogram": InputSpectrogram, "image": InputImage}

// loadTorchCases reads testdata/learn/torch_forward.json (see torch_forward.py) and
// builds each case's network with its weights.
func loadTorchCases(t testing.TB) ([]torchCase, []*Network) {
	t.Helper()
	b, err := os.ReadFile("../testdata/learn/torch_forward.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []torchCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var nets []*Network
	for _, c := range f.Cases {
		in := Input{Kind: inputKinds[c.Input.Kind], Width: c.Input.Width, Height: c.Input.Height, Channels: c.Input.Channels}
		if in.Kind != InputImage && in.Kind != InputFlat {
			in.Width, in.Height = c.Input.Height, c.Input.Width // the script gives (columns, frames)
		}
		net, err := build(Config{VisualLayers: c.VisualLayers}, in, c.Outputs, c.Regression)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		p := c.Params
		take := func(dst []float32) {
			if len(p) == 0 || len(p[0]) != len(dst) {
				t.Fatalf("%s: parameter block of %d values does not fit %d", c.Name, len(p[0]), len(dst))
			}
			for i, v := range p[0] {
				dst[i] = float32(v)
			}
			p = p[1:]
		}
		for i := range net.layers {
			l := &net.layers[i]
			if l.wn == 0 {
				continue
			}
			take(net.params[l.w : l.w+l.wn])
			take(net.params[l.b : l.b+l.bn])
			if l.kind == kBatchNorm {
				take(net.state[l.s : l.s+l.out.c])
				take(net.state[l.s+l.out.c : l.s+2*l.out.c])
			}
		}
		if len(p) != 0 {
			t.Fatalf("%s: %d parameter blocks left over", c.Name, len(p))
		}
		nets = append(nets, net)
	}
	return f.Cases, nets
}

// TestForwardMatchesPyTorch compares the float32 forward pass with PyTorch's
// (float64) on the same weights for every layer type.
func TestForwardMatchesPyTorch(t *testing.T) {
	t.Parallel()
	cases, nets := loadTorchCases(t)
	for i, c := range cases {
		net := nets[i]
		var dst []float64
		for j, x := range c.X {
			var err error
			dst, err = net.Classify(dst, x)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			for o, want := range c.Y[j] {
				if !close32(dst[o], want, 1e-5, 1e-4) {
					t.Errorf("%s window %d output %d: got %.7g, PyTorch %.7g", c.Name, j, o, dst[o], want)
				}
			}
		}
	}
}
