package tflite

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/internal/tflitetest"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// interpreter returns the TensorFlow Lite 2.9 harness, or skips the test
// when a tool it needs (npm, cc) is missing.
func interpreter(t *testing.T) *tflitetest.Runtime {
	t.Helper()
	rt, err := tflitetest.Open()
	if errors.Is(err, tflitetest.ErrUnavailable) {
		t.Skipf("TensorFlow Lite 2.9 is not available, so the interpreter checks cannot run: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// blobs returns n windows of f features in k Gaussian clusters (σ = spread)
// with labels, deterministic in seed.
func blobs(n, f, k int, spread float64, seed uint64) learn.Dataset {
	rng := rand.New(rand.NewPCG(seed, 99))
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, f)
		for j := range centres[c] {
			centres[c][j] = rng.NormFloat64() * 2
		}
	}
	X := mat.NewDense(n, f, nil)
	y := make([]int, n)
	labels := make([]string, k)
	for c := range labels {
		labels[c] = string(rune('a' + c))
	}
	for i := range n {
		c := i % k
		y[i] = c
		for j := range f {
			X.Set(i, j, centres[c][j]+rng.NormFloat64()*spread)
		}
	}
	return learn.Dataset{X: X, Y: y, Labels: labels}
}

// netCase is a trained network with the windows to run it on.
type netCase struct {
	name    string
	net     *learn.Network
	q       *learn.Int8Network
	windows [][]float64
}

var (
	archOnce  sync.Once
	archCases []netCase
	archErr   error
)

// architectures trains small networks of every layer type learn has (dense,
// batch normalisation after dense, 1-D and 2-D convolution stacks and
// pooling, dropout, reshape and flatten, image input, regression) on
// clustered data, quantises them on their validation windows as Studio
// does, and returns them with their validation windows followed by random
// windows far from the training data (which reach the requantisation's
// rounding ties and the activations' clamps).
func architectures(t *testing.T) []netCase {
	t.Helper()
	archOnce.Do(func() { archCases, archErr = trainArchitectures() })
	if archErr != nil {
		t.Fatal(archErr)
	}
	return archCases
}

func trainArchitectures() ([]netCase, error) {
	r := 0.25
	var out []netCase
	for _, c := range []struct {
		name       string
		layers     []learn.VisualLayer
		in         learn.Input
		regression bool
	}{
		{"dense", []learn.VisualLayer{{Type: "dense", Neurons: 20}, {Type: "dense", Neurons: 10}}, learn.Input{Kind: learn.InputFlat, Width: 12}, false},
		{"dense-bn", []learn.VisualLayer{{Type: "dense", Neurons: 16}, {Type: "batchNormalization"}, {Type: "dropout", DropoutRate: &r}, {Type: "dense", Neurons: 8}}, learn.Input{Kind: learn.InputFlat, Width: 12}, false},
		{"conv1d", []learn.VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv1d", Neurons: 8, KernelSize: 3}, {Type: "dropout", DropoutRate: &r},
			{Type: "conv1d", Neurons: 16, KernelSize: 3, Stack: 2}, {Type: "flatten"}}, learn.Input{Kind: learn.InputMFCC, Width: 3, Height: 4}, false},
		{"conv1d-bn-even", []learn.VisualLayer{{Type: "reshape", Columns: 2}, {Type: "conv1d", Neurons: 8, KernelSize: 4}, {Type: "batchNormalization"},
			{Type: "conv1d", Neurons: 6, KernelSize: 2}, {Type: "flatten"}, {Type: "dense", Neurons: 5}}, learn.Input{Kind: learn.InputMFE, Width: 2, Height: 6}, false},
		{"conv2d", []learn.VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv2d", Neurons: 8, KernelSize: 3}, {Type: "batchNormalization"},
			{Type: "conv2d", Neurons: 4, KernelSize: 2}, {Type: "flatten"}, {Type: "dense", Neurons: 6}}, learn.Input{Kind: learn.InputMFE, Width: 3, Height: 4}, false},
		{"image", []learn.VisualLayer{{Type: "conv2d", Neurons: 4, KernelSize: 3}, {Type: "flatten"}, {Type: "dropout", DropoutRate: &r}},
			learn.Input{Kind: learn.InputImage, Width: 3, Height: 2, Channels: 2}, false},
		{"image-stack", []learn.VisualLayer{{Type: "conv2d", Neurons: 8, KernelSize: 3, Stack: 2}, {Type: "batchNormalization"}, {Type: "conv2d", Neurons: 4, KernelSize: 2},
			{Type: "flatten"}, {Type: "dense", Neurons: 7}}, learn.Input{Kind: learn.InputImage, Width: 6, Height: 2, Channels: 1}, false},
		{"regression", []learn.VisualLayer{{Type: "dense", Neurons: 8}, {Type: "batchNormalization"}}, learn.Input{Kind: learn.InputFlat, Width: 12}, true},
		{"regression-conv1d", []learn.VisualLayer{{Type: "reshape", Columns: 3}, {Type: "conv1d", Neurons: 4, KernelSize: 3}, {Type: "flatten"}},
			learn.Input{Kind: learn.InputSpectrogram, Width: 3, Height: 4}, true},
	} {
		d := blobs(300, 12, 3, 1.5, 7)
		if c.regression {
			d.Targets = make([]float64, len(d.Y))
			for i, y := range d.Y {
				d.Targets[i] = float64(y) + 0.1*d.X.At(i, 0)
			}
			d.Y, d.Labels = nil, []string{"value"}
		}
		cfg := learn.Config{VisualLayers: c.layers, TrainingCycles: 5, LearningRate: 0.005}
		res, err := learn.Train(context.Background(), cfg, c.in, d, learn.Options{Seed: 11})
		if err != nil {
			return nil, fmt.Errorf("%s: %v", c.name, err)
		}
		q, err := learn.Quantize(context.Background(), res.Network, d.X, res.Validation)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", c.name, err)
		}
		nc := netCase{name: c.name, net: res.Network, q: q}
		for _, r := range res.Validation {
			nc.windows = append(nc.windows, d.X.RawRowView(r))
		}
		rng := rand.New(rand.NewPCG(uint64(len(out)), 3))
		for range 1500 {
			w := make([]float64, 12)
			for j := range w {
				w[j] = rng.NormFloat64() * 4
			}
			nc.windows = append(nc.windows, w)
		}
		out = append(out, nc)
	}
	return out, nil
}

// torchCases builds the 8 networks of testdata/learn/torch_forward.json
// (every layer type, random weights in Keras layout, written by
// torch_forward.py) through learn's file format, quantises each on its
// windows as the learn tests do, and returns them with those windows and
// 500 random windows of the same spread.
func torchCases(t *testing.T) []netCase {
	t.Helper()
	b, err := os.ReadFile("../testdata/learn/torch_forward.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name         string              `json:"name"`
			VisualLayers []learn.VisualLayer `json:"visualLayers"`
			Input        struct {
				Kind                    string `json:"kind"`
				Width, Height, Channels int
			} `json:"input"`
			Outputs    int         `json:"outputs"`
			Regression bool        `json:"regression"`
			Params     [][]float64 `json:"params"`
			X          [][]float64 `json:"x"`
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]learn.InputKind{"flat": learn.InputFlat, "mfcc": learn.InputMFCC, "mfe": learn.InputMFE, "spectrogram": learn.InputSpectrogram, "image": learn.InputImage}
	var out []netCase
	for i, c := range f.Cases {
		in := fileInput{Kind: kinds[c.Input.Kind], Width: c.Input.Width, Height: c.Input.Height, Channels: c.Input.Channels}
		if in.Kind != learn.InputImage && in.Kind != learn.InputFlat {
			in.Width, in.Height = c.Input.Height, c.Input.Width // the script gives (columns, frames)
		}
		labels := make([]string, c.Outputs)
		for j := range labels {
			labels[j] = fmt.Sprintf("class%d", j)
		}
		if c.Regression {
			labels = []string{"value"}
		}
		net, err := learn.UnmarshalNetwork(networkFile(c.VisualLayers, in, c.Outputs, c.Regression, labels, c.Params))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		X := mat.NewDense(len(c.X), len(c.X[0]), nil)
		lo, hi := math.Inf(1), math.Inf(-1)
		for j, row := range c.X {
			X.SetRow(j, row)
			for _, v := range row {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		q, err := learn.Quantize(context.Background(), net, X, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		nc := netCase{name: c.Name, net: net, q: q, windows: c.X}
		rng := rand.New(rand.NewPCG(uint64(i), 17))
		for range 500 {
			w := make([]float64, len(c.X[0]))
			for j := range w {
				w[j] = lo + (hi-lo)*rng.Float64()
			}
			nc.windows = append(nc.windows, w)
		}
		out = append(out, nc)
	}
	return out
}

type fileInput struct {
	Kind     learn.InputKind `json:"kind"`
	Width    int             `json:"width"`
	Height   int             `json:"height,omitempty"`
	Channels int             `json:"channels,omitempty"`
}

// networkFile writes a float32 network in learn's documented file format
// (learn/persist.go: magic, version 1, kind 1, JSON header, the parameters
// layer by layer then the batch normalisation statistics, CRC-32) from
// torch_forward.json's parameter blocks, which come in layer order: kernel
// and bias of every dense and convolution layer (γ and β, then the moving
// mean and variance, of a batch normalisation), the output layer last.
func networkFile(vis []learn.VisualLayer, in fileInput, outputs int, regression bool, labels []string, blocks [][]float64) []byte {
	hdr, _ := json.Marshal(map[string]any{"visualLayers": vis, "input": in, "outputs": outputs, "regression": regression, "labels": labels})
	var params, state []float64
	take := func(dst *[]float64, n int) {
		for range n {
			if len(blocks) > 0 {
				*dst = append(*dst, blocks[0]...)
				blocks = blocks[1:]
			}
		}
	}
	for _, v := range vis {
		if v.Enabled != nil && !*v.Enabled {
			continue
		}
		switch v.Type {
		case "dense":
			take(&params, 2)
		case "conv1d", "conv2d":
			take(&params, 2*max(1, v.Stack))
		case "batchNormalization":
			take(&params, 2)
			take(&state, 2)
		}
	}
	take(&params, 2)
	var b bytes.Buffer
	b.WriteString("TILEARN\x00")
	for _, v := range []uint32{1, 1, uint32(len(hdr))} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.Write(hdr)
	for _, v := range append(params, state...) {
		binary.Write(&b, binary.LittleEndian, math.Float32bits(float32(v)))
	}
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(b.Bytes()))
	return b.Bytes()
}
