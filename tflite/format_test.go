package tflite

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	fb "github.com/google/flatbuffers/go"

	"github.com/tinyimpulse/tinyimpulse/internal/tflitefmt"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// graphs returns the int8 and float32 graphs of every test architecture.
func graphs(t *testing.T) map[string]*learn.Graph {
	out := map[string]*learn.Graph{}
	for _, c := range architectures(t) {
		out[c.name+"/float32"] = c.net.Graph()
		out[c.name+"/int8"] = c.q.Graph()
	}
	return out
}

// sameGraph compares what a file holds of two graphs: everything but the
// operators' requantisation and softmax table.
func sameGraph(a, b *learn.Graph) error {
	if a.DType != b.DType || a.Input != b.Input || a.Output != b.Output || a.Regression != b.Regression || !slices.Equal(a.Labels, b.Labels) {
		return fmt.Errorf("graph %v %d→%d %v %q, want %v %d→%d %v %q", a.DType, a.Input, a.Output, a.Regression, a.Labels, b.DType, b.Input, b.Output, b.Regression, b.Labels)
	}
	if len(a.Tensors) != len(b.Tensors) || len(a.Ops) != len(b.Ops) {
		return fmt.Errorf("%d tensors and %d ops, want %d and %d", len(a.Tensors), len(a.Ops), len(b.Tensors), len(b.Ops))
	}
	for i := range a.Tensors {
		if !reflect.DeepEqual(a.Tensors[i], b.Tensors[i]) {
			return fmt.Errorf("tensor %d: %+v, want %+v", i, a.Tensors[i], b.Tensors[i])
		}
	}
	for i := range a.Ops {
		x, y := a.Ops[i], b.Ops[i]
		x.Multiplier, x.Shift, x.Rounding, x.ActMin, x.ActMax, x.SoftmaxTable = nil, nil, 0, 0, 0, nil
		y.Multiplier, y.Shift, y.Rounding, y.ActMin, y.ActMax, y.SoftmaxTable = nil, nil, 0, 0, 0, nil
		if !reflect.DeepEqual(x, y) {
			return fmt.Errorf("operator %d: %+v, want %+v", i, x, y)
		}
	}
	return nil
}

// TestRoundTrip: Unmarshal gives back the graph Marshal wrote, and the
// model's metadata; marshalling it again gives the same bytes.
func TestRoundTrip(t *testing.T) {
	for name, g := range graphs(t) {
		b, err := Marshal(g)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n, _ := tflitefmt.Size(g); n != len(b) {
			t.Errorf("%s: Size %d, file %d bytes", name, n, len(b))
		}
		m, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := sameGraph(m.Graph, g); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		wantRuntime, wantVersions := "1.5.0", map[learn.OpKind]int{}
		for _, op := range g.Ops {
			wantVersions[op.Kind] = 1
			if g.DType == learn.Int8 {
				wantRuntime = "1.14.0"
				wantVersions[op.Kind] = map[learn.OpKind]int{learn.OpFullyConnected: 4, learn.OpConv2D: 3, learn.OpDepthwiseConv2D: 3,
					learn.OpMaxPool2D: 2, learn.OpSoftmax: 2, learn.OpReshape: 1}[op.Kind]
			}
		}
		if m.MinRuntimeVersion != wantRuntime || m.Name != "main" || m.Description != tflitefmt.Description(g) || !reflect.DeepEqual(m.Versions, wantVersions) {
			t.Errorf("%s: runtime %q, name %q, description %q, versions %v; want %q, main, %q, %v", name, m.MinRuntimeVersion, m.Name, m.Description, m.Versions,
				wantRuntime, tflitefmt.Description(g), wantVersions)
		}
		b2, err := Marshal(m.Graph)
		if err != nil || !bytes.Equal(b, b2) {
			t.Errorf("%s: marshalling the decoded graph gives different bytes (%v)", name, err)
		}
	}
}

// TestLayout checks the file's layout against the format's rules: the
// identifier, schema version 3, buffer 0 empty, every constant's data
// 16-byte aligned from the start of the file, each tensor's buffer its own,
// and no bytes after the last buffer.
func TestLayout(t *testing.T) {
	for name, g := range graphs(t) {
		b, err := Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		if string(b[4:8]) != "TFL3" || len(b)%16 != 0 {
			t.Errorf("%s: identifier %q, %d bytes", name, b[4:8], len(b))
		}
		f := newFbuf(b)
		root, err := f.root("TFL3")
		if err != nil {
			t.Fatal(err)
		}
		bufs, err := root.tables(tflitefmt.ModelBuffers, "Buffer")
		if err != nil {
			t.Fatal(err)
		}
		end := 0
		for i, buf := range bufs {
			p, ok, err := buf.ref(tflitefmt.BufferData)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if ok {
					t.Errorf("%s: buffer 0 has data", name)
				}
				continue
			}
			start, n, err := f.vector(p, 1, "Buffer", 0)
			if err != nil {
				t.Fatal(err)
			}
			if start%16 != 0 {
				t.Errorf("%s: buffer %d starts at %d, not 16-byte aligned", name, i, start)
			}
			end = max(end, start+n)
		}
		constants := 0
		for _, tn := range g.Tensors {
			if tn.Constant() {
				constants++
			}
		}
		if len(bufs) != constants+3 { // the sentinel, the constants, 2 metadata buffers
			t.Errorf("%s: %d buffers for %d constants", name, len(bufs), constants)
		}
		if end != len(b) {
			t.Errorf("%s: the last buffer ends at %d of %d bytes", name, end, len(b))
		}
	}
}

// TestMarshalRefuses: graphs TensorFlow Lite could not load are errors
// wrapping ErrGraph, never panics or files.
func TestMarshalRefuses(t *testing.T) {
	var base *learn.Graph
	for _, c := range architectures(t) {
		if c.name == "conv2d" {
			base = c.q.Graph()
		}
	}
	// The conv2d graph: input, reshape, conv (ops 1), …, batch norm
	// (DEPTHWISE_CONV_2D), …, FULLY_CONNECTED, SOFTMAX.
	find := func(g *learn.Graph, k learn.OpKind) *learn.Operator {
		for i := range g.Ops {
			if g.Ops[i].Kind == k {
				return &g.Ops[i]
			}
		}
		t.Fatalf("no %s", k)
		return nil
	}
	for _, c := range []struct {
		name string
		edit func(g *learn.Graph)
	}{
		{"no operators", func(g *learn.Graph) { g.Ops = nil }},
		{"input out of range", func(g *learn.Graph) { g.Input = len(g.Tensors) }},
		{"operator input out of range", func(g *learn.Graph) { g.Ops[0].Inputs[0] = -1 }},
		{"unknown operator", func(g *learn.Graph) { g.Ops[0].Kind = "ADD" }},
		{"short weights", func(g *learn.Graph) {
			w := find(g, learn.OpConv2D).Inputs[1]
			g.Tensors[w].Int8 = g.Tensors[w].Int8[1:]
		}},
		{"weights of two types", func(g *learn.Graph) {
			w := find(g, learn.OpConv2D).Inputs[1]
			g.Tensors[w].Float32 = make([]float32, 1)
		}},
		{"per-channel dense weights", func(g *learn.Graph) {
			op := find(g, learn.OpFullyConnected)
			w, b := &g.Tensors[op.Inputs[1]], &g.Tensors[op.Inputs[2]]
			n := w.Shape[0]
			w.Quant = &learn.Quantization{Scale: slices.Repeat(w.Quant.Scale, n), ZeroPoint: make([]int64, n)}
			b.Quant = &learn.Quantization{Scale: slices.Repeat(b.Quant.Scale, n), ZeroPoint: make([]int64, n)}
		}},
		{"bias scale", func(g *learn.Graph) { b := find(g, learn.OpConv2D).Inputs[2]; g.Tensors[b].Quant.Scale[0] *= 1.01 }},
		{"weight zero point", func(g *learn.Graph) { w := find(g, learn.OpConv2D).Inputs[1]; g.Tensors[w].Quant.ZeroPoint[0] = 3 }},
		{"NaN scale", func(g *learn.Graph) { g.Tensors[g.Input].Quant.Scale[0] = math.NaN() }},
		{"zero point out of range", func(g *learn.Graph) { g.Tensors[g.Input].Quant.ZeroPoint[0] = 200 }},
		{"int8 without quantisation", func(g *learn.Graph) { g.Tensors[g.Input].Quant = nil }},
		{"softmax output scale", func(g *learn.Graph) { g.Tensors[g.Output].Quant.Scale[0] = 0.01 }},
		{"kernel size", func(g *learn.Graph) { find(g, learn.OpConv2D).KernelW = 5 }},
		{"pooling shape", func(g *learn.Graph) { find(g, learn.OpMaxPool2D).StrideH = 3 }},
		{"reshape count", func(g *learn.Graph) { op := find(g, learn.OpReshape); g.Tensors[op.Inputs[1]].Int32[1]++ }},
		{"zero dimension", func(g *learn.Graph) { g.Tensors[g.Output].Shape = []int{1, 0} }},
		{"five dimensions", func(g *learn.Graph) { g.Tensors[g.Input].Shape = []int{1, 1, 1, 1, 12} }},
		{"output never written", func(g *learn.Graph) { g.Ops = g.Ops[:len(g.Ops)-1] }},
		{"operator reads a later tensor", func(g *learn.Graph) { g.Ops[0], g.Ops[1] = g.Ops[1], g.Ops[0] }},
		{"label with a line break", func(g *learn.Graph) { g.Labels = []string{"a\nb"} }},
	} {
		g := cloneGraph(base)
		c.edit(g)
		if b, err := Marshal(g); !errors.Is(err, ErrGraph) {
			t.Errorf("%s: %d bytes, error %v; want one wrapping ErrGraph", c.name, len(b), err)
		}
	}
	if _, err := Marshal(nil); !errors.Is(err, ErrGraph) {
		t.Errorf("nil graph: %v", err)
	}
}

// cloneGraph deep-copies a graph (through encoding/gob-free reflection:
// the slices a test edits are copied).
func cloneGraph(g *learn.Graph) *learn.Graph {
	c := *g
	c.Tensors = slices.Clone(g.Tensors)
	for i := range c.Tensors {
		t := &c.Tensors[i]
		t.Shape = slices.Clone(t.Shape)
		t.Float32, t.Int8, t.Int32 = slices.Clone(t.Float32), slices.Clone(t.Int8), slices.Clone(t.Int32)
		if t.Quant != nil {
			q := *t.Quant
			q.Scale, q.ZeroPoint = slices.Clone(q.Scale), slices.Clone(q.ZeroPoint)
			t.Quant = &q
		}
	}
	c.Ops = slices.Clone(g.Ops)
	for i := range c.Ops {
		c.Ops[i].Inputs, c.Ops[i].Outputs = slices.Clone(c.Ops[i].Inputs), slices.Clone(c.Ops[i].Outputs)
	}
	c.Labels = slices.Clone(g.Labels)
	return &c
}

// TestCorrupt: truncated and corrupted files. Every truncation is refused
// by Unmarshal and by TensorFlow Lite; for random byte changes Unmarshal
// never panics, and whenever TensorFlow Lite refuses the changed file
// Unmarshal refuses it too (a changed weight is a valid, different model
// for both).
func TestCorrupt(t *testing.T) {
	var models [][]byte
	for _, c := range architectures(t) {
		if c.name == "conv1d-bn-even" {
			for _, g := range []*learn.Graph{c.q.Graph(), c.net.Graph()} {
				b, err := Marshal(g)
				if err != nil {
					t.Fatal(err)
				}
				models = append(models, b)
			}
		}
	}
	for _, b := range models {
		for n := range len(b) {
			if _, err := Unmarshal(b[:n]); !errors.Is(err, ErrFormat) {
				t.Fatalf("truncated to %d of %d bytes: error %v", n, len(b), err)
			}
		}
	}
	rt := interpreter(t)
	rng := rand.New(rand.NewPCG(8, 8))
	refusedTrunc := 0
	for _, b := range models {
		for _, n := range []int{0, 4, 8, 100, len(b) / 2, len(b) - 17, len(b) - 1} {
			if _, err := rt.Run(b[:n], nil); err == nil {
				t.Errorf("TensorFlow Lite loads the model truncated to %d of %d bytes", n, len(b))
			} else {
				refusedTrunc++
			}
		}
	}
	var interpRefused, bothRefused, readerOnly int
	const changes = 300
	for i := range changes {
		b := slices.Clone(models[i%len(models)])
		pos := rng.IntN(len(b))
		if i%3 == 0 {
			pos = rng.IntN(min(len(b), 512)) // the tables sit near the front
		}
		b[pos] ^= byte(1 + rng.IntN(255))
		_, rerr := Unmarshal(b)
		if rerr != nil && !errors.Is(rerr, ErrFormat) {
			t.Fatalf("byte %d changed: error %v does not wrap ErrFormat", pos, rerr)
		}
		_, ierr := rt.Run(b, nil)
		switch {
		case ierr != nil && rerr == nil:
			t.Errorf("byte %d changed: TensorFlow Lite refuses the file (%v) but Unmarshal reads it", pos, ierr)
		case ierr != nil:
			interpRefused++
			bothRefused++
		case rerr != nil:
			readerOnly++
		}
	}
	t.Logf("%d truncations refused by both; of %d changed bytes TensorFlow Lite refused %d (Unmarshal too) and Unmarshal alone %d more", refusedTrunc, changes, interpRefused, readerOnly)
	if bothRefused == 0 {
		t.Error("no changed byte made TensorFlow Lite refuse the file: the test checks nothing")
	}
}

// FuzzUnmarshal: any bytes give a model or an error wrapping ErrFormat,
// never a panic; a model that decodes encodes again, and decoding that
// gives the same graph.
func FuzzUnmarshal(f *testing.F) {
	for _, name := range []string{"dense-bn.int8.tflite", "conv1d.float32.tflite"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte("\x08\x00\x00\x00TFL3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Unmarshal(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		b, err := Marshal(m.Graph)
		if err != nil {
			t.Fatalf("a decoded graph does not encode: %v", err)
		}
		m2, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("a re-encoded graph does not decode: %v", err)
		}
		if err := sameGraph(m2.Graph, m.Graph); err != nil {
			t.Fatal(err)
		}
	})
}

var update = flag.Bool("update", false, "rewrite the golden models in testdata")

// TestGolden: the files of two trained networks (deterministic in their
// seed) equal testdata's, which also seed FuzzUnmarshal; -update rewrites
// them.
func TestGolden(t *testing.T) {
	for _, c := range architectures(t) {
		for _, v := range []Variant{Int8, Float32} {
			name := c.name + "." + string(v) + ".tflite"
			if name != "dense-bn.int8.tflite" && name != "conv1d.float32.tflite" {
				continue
			}
			var buf bytes.Buffer
			if err := Export(&buf, c.net, c.q, v); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s: %d bytes differ from the golden file's %d (run go test -run TestGolden -update after checking why)", name, buf.Len(), len(want))
			}
		}
	}
}

// TestSharedTables: a small file whose tensors all share one table with a
// long vector would make a naive reader decode that vector once per tensor;
// Unmarshal refuses it before doing so.
func TestSharedTables(t *testing.T) {
	b := fb.NewBuilder(1 << 20)
	b.StartVector(4, 5000, 4)
	for range 5000 {
		b.PrependFloat32(0.5)
	}
	scales := b.EndVector(5000)
	b.StartObject(tflitefmt.QuantFields)
	b.PrependUOffsetTSlot(tflitefmt.QuantScale, scales, 0)
	quant := b.EndObject()
	name := b.CreateString("x")
	b.StartVector(4, 1, 4)
	b.PrependInt32(1)
	shape := b.EndVector(1)
	b.StartObject(tflitefmt.TensorFields)
	b.PrependUOffsetTSlot(tflitefmt.TensorShape, shape, 0)
	b.PrependUOffsetTSlot(tflitefmt.TensorName, name, 0)
	b.PrependUOffsetTSlot(tflitefmt.TensorQuantization, quant, 0)
	tensor := b.EndObject()
	const n = 20000
	b.StartVector(4, n, 4)
	for range n {
		b.PrependUOffsetT(tensor)
	}
	tensors := b.EndVector(n)
	b.StartObject(tflitefmt.SubGraphFields)
	b.PrependUOffsetTSlot(tflitefmt.SubGraphTensors, tensors, 0)
	sg := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(sg)
	sgs := b.EndVector(1)
	b.StartObject(tflitefmt.BufferFields)
	buf0 := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(buf0)
	bufs := b.EndVector(1)
	b.StartObject(tflitefmt.ModelFields)
	b.PrependUint32Slot(tflitefmt.ModelVersion, 3, 0)
	b.PrependUOffsetTSlot(tflitefmt.ModelSubgraphs, sgs, 0)
	b.PrependUOffsetTSlot(tflitefmt.ModelBuffers, bufs, 0)
	b.FinishWithFileIdentifier(b.EndObject(), []byte("TFL3"))
	data := b.FinishedBytes()
	_, err := Unmarshal(data)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "far more data") {
		t.Errorf("%d-byte file sharing one tensor table %d times: error %v", len(data), n, err)
	}
}
