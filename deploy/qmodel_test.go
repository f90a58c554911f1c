package deploy_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// qNet is a trained int8 network and the windows it is checked on.
type qNet struct {
	name string
	q    *learn.Int8Network
	c    *deploy.Network
	X    *mat.Dense // features
}

// quantizedNetworks trains networks of every architecture learn has
// (trainNetworks' and a few whose channel counts are odd or not multiples
// of four, so that every kernel's remainder paths run) and quantises each
// on its windows as Studio does.
func quantizedNetworks(t *testing.T) []qNet {
	t.Helper()
	var out []qNet
	add := func(name string, net *learn.Network, X *mat.Dense) {
		rows, _ := X.Dims()
		idx := make([]int, rows)
		for i := range idx {
			idx[i] = i
		}
		q, err := learn.Quantize(context.Background(), net, X, idx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c, err := deploy.NewNetwork(q.Graph())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !c.Int8() {
			t.Fatalf("%s: NewNetwork of an int8 graph is not int8", name)
		}
		out = append(out, qNet{name, q, c, X})
	}
	for _, n := range trainNetworks(t) {
		add(n.name, n.net, n.X)
	}
	r := 0.1
	for _, c := range []struct {
		name   string
		layers []learn.VisualLayer
		in     learn.Input
	}{
		{"dense-odd", []learn.VisualLayer{{Type: "dense", Neurons: 7}, {Type: "dense", Neurons: 5}}, learn.Input{Kind: learn.InputFlat, Width: 15}},
		{"conv1d-odd", []learn.VisualLayer{{Type: "reshape", Columns: 3}, {Type: "conv1d", Neurons: 5, KernelSize: 5}, {Type: "conv1d", Neurons: 3, KernelSize: 3},
			{Type: "flatten"}, {Type: "dropout", DropoutRate: &r}, {Type: "dense", Neurons: 9}}, learn.Input{Kind: learn.InputMFCC, Width: 3, Height: 5}},
		{"conv2d-odd", []learn.VisualLayer{{Type: "reshape", Columns: 5}, {Type: "conv2d", Neurons: 3, KernelSize: 3}, {Type: "conv2d", Neurons: 6, KernelSize: 3},
			{Type: "batchNormalization"}, {Type: "flatten"}}, learn.Input{Kind: learn.InputMFE, Width: 5, Height: 3}},
		{"image-rgb", []learn.VisualLayer{{Type: "conv2d", Neurons: 5, KernelSize: 3}, {Type: "conv2d", Neurons: 8, KernelSize: 2}, {Type: "flatten"}, {Type: "dense", Neurons: 6}},
			learn.Input{Kind: learn.InputImage, Width: 5, Height: 3, Channels: 1}},
	} {
		d := blobs(200, 15, 4, 1.5, 9)
		res, err := learn.Train(context.Background(), learn.Config{VisualLayers: c.layers, TrainingCycles: 4, LearningRate: 0.005}, c.in, d, learn.Options{Seed: 3})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		add(c.name, res.Network, d.X)
	}
	return out
}

// qnetsC generates the networks and the table qdriver.c reads.
func qnetsC(t *testing.T, nets []*deploy.Network) string {
	t.Helper()
	var b strings.Builder
	var names []string
	for i, n := range nets {
		name := fmt.Sprintf("qnet%d", i)
		src, err := n.CSource(name)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(src)
		names = append(names, "&"+name)
	}
	fmt.Fprintf(&b, "const ti_qnetwork *const ti_qnets[] = {%s};\n", strings.Join(append(names, "NULL"), ", "))
	return b.String()
}

// buildQDriver compiles the runtime, the networks and qdriver.c for the
// host.
func buildQDriver(t *testing.T, nets []*deploy.Network, p deploy.Precision, asan bool) string {
	t.Helper()
	cc := hostCC(t)
	dir := t.TempDir()
	srcs := writeRuntime(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "qnets.c"), []byte(qnetsC(t, nets)), 0o644); err != nil {
		t.Fatal(err)
	}
	copyTestdata(t, dir, "qdriver.c")
	exe := filepath.Join(dir, "qdriver")
	args := append([]string{}, cflags...)
	args = append(args, "-D"+p.Define(), "-I", dir, "-o", exe)
	if p == deploy.Float32 {
		args = append(args, "-Wdouble-promotion")
	}
	if asan {
		args = append(args, "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-DTI_CANARY=0")
	} else {
		args = append(args, "-O2")
	}
	args = append(args, srcs...)
	args = append(args, filepath.Join(dir, "qnets.c"), filepath.Join(dir, "qdriver.c"), "-lm")
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	return exe
}

// qReq is one request to qdriver: a network's int8 inputs, or (quantise)
// its features.
type qReq struct {
	net      int
	in       []int8
	features []float64
	outputs  int
}

func qDriverInput(reqs []qReq) []byte {
	var in bytes.Buffer
	for _, r := range reqs {
		if r.features != nil {
			binary.Write(&in, binary.LittleEndian, uint32(r.net)|1<<31)
			binary.Write(&in, binary.LittleEndian, r.features)
		} else {
			binary.Write(&in, binary.LittleEndian, uint32(r.net))
			binary.Write(&in, binary.LittleEndian, r.in)
		}
	}
	binary.Write(&in, binary.LittleEndian, uint32(0xffffffff))
	return in.Bytes()
}

func parseQDriver(t *testing.T, out []byte, reqs []qReq) [][]int8 {
	t.Helper()
	rd := bytes.NewReader(out)
	res := make([][]int8, len(reqs))
	for i, r := range reqs {
		var hdr [2]int32
		if err := binary.Read(rd, binary.LittleEndian, &hdr); err != nil {
			t.Fatalf("qdriver output for request %d: %v", i, err)
		}
		if hdr[0] != 0 || hdr[1] != 0 {
			t.Fatalf("request %d (network %d): status %d, flags %d (1: wrote past the arena, 2: past the outputs)", i, r.net, hdr[0], hdr[1])
		}
		n := r.outputs
		if r.features != nil {
			n = len(r.features)
		}
		res[i] = make([]int8, n)
		if err := binary.Read(rd, binary.LittleEndian, res[i]); err != nil {
			t.Fatalf("qdriver output for request %d: %v", i, err)
		}
	}
	if rd.Len() != 0 {
		t.Fatalf("qdriver wrote %d bytes more than expected", rd.Len())
	}
	return res
}

func runQDriver(t *testing.T, exe string, reqs []qReq) [][]int8 {
	t.Helper()
	cmd := exec.Command(exe)
	cmd.Stdin = bytes.NewReader(qDriverInput(reqs))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", exe, err, stderr.String())
	}
	return parseQDriver(t, out, reqs)
}

// qRequests returns, for every network and window, the int8 inputs
// (quantised by package learn) with the outputs ClassifyInt8 gives, and the
// window's features for ti_quantize with the int8 values package learn
// quantises them to (of the features as ti_real holds them: rounded to
// float32 for the float32 build).
func qRequests(t *testing.T, nets []qNet, p deploy.Precision) (reqs []qReq, want [][]int8) {
	t.Helper()
	for i, n := range nets {
		rows, _ := n.X.Dims()
		iq := n.q.InputQuant()
		for r := range rows {
			x := n.X.RawRowView(r)
			in := make([]int8, len(x))
			feats := make([]float64, len(x))
			for j, v := range x {
				if p == deploy.Float32 {
					v = float64(float32(v))
				}
				feats[j] = v
				in[j] = iq.QuantizeInput(v)
			}
			y := make([]int8, n.q.Outputs())
			if err := n.q.ClassifyInt8(y, in); err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, qReq{net: i, in: in, outputs: len(y)}, qReq{net: i, features: feats})
			want = append(want, y, in)
		}
		// Features at and next to rounding ties, (k + 1/2)·scale rounded
		// to float32 and its neighbours, and the exact ties ±scale/2 and
		// ±3·scale/2 (where float32 holds them).
		s := float32(iq.Scale)
		nf := n.q.Features()
		for _, shift := range []int{0, 1, -1, 2, -2} {
			feats, in := make([]float64, nf), make([]int8, nf)
			for j := range feats {
				k := float64(j%300 - 150)
				switch j % 5 {
				case 0:
					k = 0
				case 1:
					k = -1
				case 2:
					k = 1
				}
				f := float32((k + 0.5) * float64(s))
				for range max(shift, -shift) {
					f = math.Nextafter32(f, float32(math.Inf(shift)))
				}
				if j%5 == 3 {
					f = -f
				}
				feats[j] = float64(f)
				in[j] = iq.QuantizeInput(feats[j])
			}
			reqs = append(reqs, qReq{net: i, features: feats})
			want = append(want, in)
		}
	}
	return reqs, want
}

// TestHostInt8Networks runs int8 networks of every architecture through
// the C runtime's int8 kernels, built with the host's C compiler in both
// precisions and with ASan and UBSan, on every window they were trained
// and quantised on, and checks that every output is bit for bit what
// learn's Int8Network.ClassifyInt8 computes (TensorFlow Lite 2.9's int8
// semantics, which package tflite checks against the real interpreter),
// and that ti_quantize quantises each feature as learn does.
func TestHostInt8Networks(t *testing.T) {
	hostCC(t)
	nets := quantizedNetworks(t)
	cnets := make([]*deploy.Network, len(nets))
	for i, n := range nets {
		cnets[i] = n.c
	}
	for _, v := range []struct {
		p    deploy.Precision
		asan bool
	}{{deploy.Float32, false}, {deploy.Float64, false}, {deploy.Float32, true}} {
		name := v.p.String()
		if v.asan {
			name += "-asan"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reqs, want := qRequests(t, nets, v.p)
			got := runQDriver(t, buildQDriver(t, cnets, v.p, v.asan), reqs)
			windows := map[string]int{}
			for i, r := range reqs {
				if !bytes.Equal(int8Bytes(got[i]), int8Bytes(want[i])) {
					what := "outputs"
					if r.features != nil {
						what = "quantised features"
					}
					t.Errorf("%s request %d: C %s %v, Go %v", nets[r.net].name, i, what, got[i], want[i])
				}
				if r.features == nil {
					windows[nets[r.net].name]++
				}
			}
			t.Logf("%s: int8 outputs bit-identical to ClassifyInt8 on %v windows", name, windows)
		})
	}
}

func int8Bytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}

// TestInt8Memory checks that an int8 network's working memory in the C
// runtime (its arena, input and output) is at most TensorFlow Lite Micro's
// arena for the same graph, as package device plans it (its planner
// reproduces TFLM's measured arenas, device-estimates.md §3.9).
func TestInt8Memory(t *testing.T) {
	nets := quantizedNetworks(t)
	if _, err := os.Stat(filepath.Join("..", "..", "shared", "datasets")); err == nil {
		for _, name := range sharedNames {
			m, _ := trainShared(t, name)
			_, q, err := m.Networks(m.Definition().Impulse.LearnBlocks[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			c, err := deploy.NewNetwork(q.Graph())
			if err != nil {
				t.Fatal(err)
			}
			nets = append(nets, qNet{name: name, q: q, c: c})
		}
	}
	for _, n := range nets {
		g := n.q.Graph()
		dn, err := device.FromGraph(g)
		if err != nil {
			t.Fatal(err)
		}
		p, err := device.ProfileNetwork(dn, device.ProfileConfig{})
		if err != nil {
			t.Fatal(err)
		}
		ours := n.c.ArenaBytes() + n.c.Inputs() + n.c.Outputs()
		if ours > p.TFLite.Arena {
			t.Errorf("%s: %d bytes (arena %d, input %d, output %d), TFLM's arena %d", n.name, ours, n.c.ArenaBytes(), n.c.Inputs(), n.c.Outputs(), p.TFLite.Arena)
		}
		t.Logf("%-20s ours %6d B (arena %d + input %d + output %d), TFLM arena %6d B (head %d)", n.name, ours, n.c.ArenaBytes(), n.c.Inputs(), n.c.Outputs(), p.TFLite.Arena, p.Head)
	}
}
