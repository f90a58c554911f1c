package learn

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestTrainingMatchesPyTorch runs learn's training step (forward, loss,
// backward, Keras-form Adam, MaxNorm, batch statistics) from the same initial
// weights over the same batches as testdata/learn/torch_train.py and compares
// the per-step losses and the final weights.
func TestTrainingMatchesPyTorch(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../testdata/learn/torch_train.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name         string        `json:"name"`
			VisualLayers []VisualLayer `json:"visualLayers"`
			Input        struct {
				Kind                    string
				Width, Height, Channels int
			} `json:"input"`
			Classes int         `json:"classes"`
			LR      float64     `json:"lr"`
			Batch   int         `json:"batch"`
			X       [][]float64 `json:"x"`
			Y       []int       `json:"y"`
			Init    [][]float64 `json:"init"`
			Batches [][]int     `json:"batches"`
			Losses  []float64   `json:"losses"`
			Final   [][]float64 `json:"final"`
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Cases {
		in := Input{Kind: inputKinds[c.Input.Kind], Width: c.Input.Width, Height: c.Input.Height, Channels: c.Input.Channels}
		if in.Kind != InputImage && in.Kind != InputFlat {
			in.Width, in.Height = c.Input.Height, c.Input.Width
		}
		net, err := build(Config{VisualLayers: c.VisualLayers}, in, c.Classes, false)
		if err != nil {
			t.Fatal(err)
		}
		// Parameter blocks in layer order: kernel (γ), bias (β).
		var blocks [][]float32
		for i := range net.layers {
			l := &net.layers[i]
			if l.wn > 0 {
				blocks = append(blocks, net.params[l.w:l.w+l.wn], net.params[l.b:l.b+l.bn])
			}
		}
		if len(blocks) != len(c.Init) {
			t.Fatalf("%s: %d parameter blocks, reference has %d", c.Name, len(blocks), len(c.Init))
		}
		for i, blk := range blocks {
			for j, v := range c.Init[i] {
				blk[j] = float32(v)
			}
		}
		tr := newTrainer(net, c.Batch, 1)
		tr.nf = in.Features()
		for _, row := range c.X {
			for _, v := range row {
				tr.xs = append(tr.xs, float32(v))
			}
		}
		tr.y = c.Y
		tr.sw = make([]float64, len(c.Y))
		for i := range tr.sw {
			tr.sw[i] = 1
		}
		for s, rows := range c.Batches {
			l, _ := tr.step(rows, c.LR)
			if got := l / float64(len(rows)); !close32(got, c.Losses[s], 1e-5, 1e-4) {
				t.Errorf("%s step %d: loss %.7g, PyTorch %.7g", c.Name, s+1, got, c.Losses[s])
			}
		}
		bad := 0
		for i, blk := range blocks {
			for j, v := range c.Final[i] {
				if !close32(float64(blk[j]), v, 2e-4, 1e-3) {
					bad++
					if bad <= 5 {
						t.Errorf("%s: block %d value %d: %.7g, PyTorch %.7g", c.Name, i, j, blk[j], v)
					}
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d final weights differ", c.Name, bad)
		}
		// The conv2d case must exercise both branches of MaxNorm (axis 0):
		// PyTorch's final kernels hold columns capped at norm 1 and columns
		// below it, and none above.
		bi := 0
		for i := range net.layers {
			l := &net.layers[i]
			if l.wn == 0 {
				continue
			}
			if l.maxNorm {
				capped, free := maxNormColumns(t, c.Final[bi], l.k)
				if capped == 0 || free == 0 {
					t.Errorf("%s: layer %s ends with %d kernel columns at norm 1 and %d below: the case does not exercise MaxNorm's cap", c.Name, l.name, capped, free)
				}
			}
			bi += 2
		}
	}
}

// maxNormColumns counts the (kw, cin, cout) columns of a (kh, kw, cin, cout)
// kernel whose norm over kh is 1 (within float32 rounding) and below 1; a
// column above 1 fails t.
func maxNormColumns(t *testing.T, w []float64, kh int) (capped, free int) {
	cols := len(w) / kh
	for j := range cols {
		var s float64
		for i := j; i < len(w); i += cols {
			s += w[i] * w[i]
		}
		switch n := math.Sqrt(s); {
		case n > 1+1e-6:
			t.Errorf("kernel column %d has norm %v after MaxNorm(1)", j, n)
		case n > 1-1e-6:
			capped++
		default:
			free++
		}
	}
	return capped, free
}
