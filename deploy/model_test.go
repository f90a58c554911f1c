package deploy_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// blobs returns n windows of features values around one random centre per
// class, the class cycling with the row.
func blobs(n, features, classes int, spread float64, seed uint64) learn.Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	centers := make([]float64, classes*features)
	for i := range centers {
		centers[i] = rng.NormFloat64() * 3
	}
	x := mat.NewDense(n, features, nil)
	y := make([]int, n)
	for i := range n {
		y[i] = i % classes
		for j := range features {
			x.Set(i, j, centers[y[i]*features+j]+spread*rng.NormFloat64())
		}
	}
	labels := make([]string, classes)
	for i := range labels {
		labels[i] = fmt.Sprintf("c%d", i)
	}
	return learn.Dataset{X: x, Y: y, Labels: labels}
}

// modelNet is a trained network and the windows it is checked on.
type modelNet struct {
	name string
	net  *learn.Network
	c    *deploy.Network
	X    *mat.Dense
}

// trainNetworks trains small networks of every layer type (dense, batch
// normalisation, dropout, 1-D and 2-D convolutions with pooling, reshape,
// flatten, softmax and regression outputs).
func trainNetworks(t *testing.T) []modelNet {
	t.Helper()
	r := 0.25
	var out []modelNet
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
		{"conv2d", []learn.VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv2d", Neurons: 8, KernelSize: 3}, {Type: "batchNormalization"},
			{Type: "conv2d", Neurons: 4, KernelSize: 2}, {Type: "flatten"}, {Type: "dense", Neurons: 6}}, learn.Input{Kind: learn.InputMFE, Width: 3, Height: 4}, false},
		{"image", []learn.VisualLayer{{Type: "conv2d", Neurons: 4, KernelSize: 3}, {Type: "flatten"}, {Type: "dropout", DropoutRate: &r}},
			learn.Input{Kind: learn.InputImage, Width: 3, Height: 2, Channels: 2}, false},
		{"regression", []learn.VisualLayer{{Type: "dense", Neurons: 8}, {Type: "batchNormalization"}}, learn.Input{Kind: learn.InputFlat, Width: 12}, true},
	} {
		d := blobs(300, 12, 3, 1.5, 7)
		if c.regression {
			d.Targets = make([]float64, len(d.Y))
			for i, y := range d.Y {
				d.Targets[i] = float64(y) + 0.1*d.X.At(i, 0)
			}
			d.Y, d.Labels = nil, []string{"value"}
		}
		res, err := learn.Train(context.Background(), learn.Config{VisualLayers: c.layers, TrainingCycles: 5, LearningRate: 0.005}, c.in, d, learn.Options{Seed: 11})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		cn, err := deploy.NewNetwork(res.Network.Graph())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		out = append(out, modelNet{c.name, res.Network, cn, d.X})
	}
	return out
}

// gesturesFeatures returns the spectral features (the gestures impulse's
// block) of every 2 s window, 240 ms apart, of the project's gestures
// recordings (testdata/gestures).
func gesturesFeatures(t *testing.T) *mat.Dense {
	t.Helper()
	blk, _ := gesturesBlock(t)
	files, _ := filepath.Glob("../testdata/gestures/*/*.json")
	var rows [][]float64
	for _, f := range files {
		var s struct {
			Payload struct {
				IntervalMs float64     `json:"interval_ms"`
				Values     [][]float64 `json:"values"`
			} `json:"payload"`
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		n := int(math.Round(2000 / s.Payload.IntervalMs))
		step := int(math.Round(240 / s.Payload.IntervalMs))
		for start := 0; start+n <= len(s.Payload.Values); start += step {
			var w []float64
			for _, v := range s.Payload.Values[start : start+n] {
				w = append(w, v...)
			}
			feats, err := blk.AppendFeatures(nil, w)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, feats)
		}
	}
	x := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		x.SetRow(i, r)
	}
	return x
}

// buildModelDriver compiles the runtime, the models and modeldriver.c for
// the host.
func buildModelDriver(t *testing.T, nets []modelNet, kms, gmms []*deploy.Anomaly, p deploy.Precision, asan bool) string {
	t.Helper()
	cc := hostCC(t)
	dir := t.TempDir()
	srcs := writeRuntime(t, dir)
	var b strings.Builder
	b.WriteString("#include \"ti_model.h\"\n")
	var netNames, kmNames, gmmNames []string
	for i, n := range nets {
		name := fmt.Sprintf("net%d", i)
		src, err := n.c.CSource(name)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(src)
		netNames = append(netNames, "&"+name)
	}
	for i, a := range kms {
		name := fmt.Sprintf("km%d", i)
		src, err := a.CSource(name)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(src)
		kmNames = append(kmNames, "&"+name)
	}
	for i, a := range gmms {
		name := fmt.Sprintf("gmm%d", i)
		src, err := a.CSource(name)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(src)
		gmmNames = append(gmmNames, "&"+name)
	}
	fmt.Fprintf(&b, "const ti_network *const ti_nets[] = {%s};\n", strings.Join(append(netNames, "NULL"), ", "))
	fmt.Fprintf(&b, "const ti_kmeans_config *const ti_kmeans[] = {%s};\n", strings.Join(append(kmNames, "NULL"), ", "))
	fmt.Fprintf(&b, "const ti_gmm_config *const ti_gmms[] = {%s};\n", strings.Join(append(gmmNames, "NULL"), ", "))
	if err := os.WriteFile(filepath.Join(dir, "models.c"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	copyTestdata(t, dir, "modeldriver.c")
	exe := filepath.Join(dir, "modeldriver")
	args := append([]string{}, cflags...)
	args = append(args, "-D"+p.Define(), "-I", dir, "-o", exe)
	if asan {
		args = append(args, "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-DTI_CANARY=0")
	} else {
		args = append(args, "-O2")
	}
	args = append(args, srcs...)
	args = append(args, filepath.Join(dir, "models.c"), filepath.Join(dir, "modeldriver.c"), "-lm")
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	return exe
}

// modelReq is one input for the model driver.
type modelReq struct {
	kind, index int // 0 network, 1 K-means, 2 GMM
	x           []float64
	outputs     int
}

func runModelDriver(t *testing.T, exe string, reqs []modelReq) [][]float64 {
	t.Helper()
	var in bytes.Buffer
	for _, r := range reqs {
		binary.Write(&in, binary.LittleEndian, [2]uint32{uint32(r.kind), uint32(r.index)})
		binary.Write(&in, binary.LittleEndian, r.x)
	}
	binary.Write(&in, binary.LittleEndian, uint32(0xffffffff))
	cmd := exec.Command(exe)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", exe, err, stderr.String())
	}
	rd := bytes.NewReader(out)
	res := make([][]float64, len(reqs))
	for i, r := range reqs {
		var hdr [2]int32
		if err := binary.Read(rd, binary.LittleEndian, &hdr); err != nil {
			t.Fatal(err)
		}
		if hdr[0] != 0 || hdr[1] != 0 {
			t.Fatalf("request %d (kind %d, model %d): status %d, flags %d", i, r.kind, r.index, hdr[0], hdr[1])
		}
		res[i] = make([]float64, r.outputs)
		if err := binary.Read(rd, binary.LittleEndian, res[i]); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

// TestHostModels runs networks of every layer type and K-means and GMM
// anomaly blocks through the C runtime's float32 kernels and scoring, built
// with the host's C compiler in both precisions (and with ASan and UBSan),
// and checks them against package learn's Classify (within 1e-5; the
// networks are float32 in both builds) and package anomaly's Score. The
// anomaly blocks are fitted on the spectral features of the project's
// gestures recordings (K-means with Studio's 32 clusters, a 5-component
// GMM on the first 8 features) and scored on those windows and on the same
// windows scaled by 3 (anomalies): within 1e-9 relative in the float64
// build and 1e-4 in the float32 build.
func TestHostModels(t *testing.T) {
	hostCC(t)
	nets := trainNetworks(t)
	X := gesturesFeatures(t)
	km, err := anomaly.FitKMeans(context.Background(), anomaly.KMeansConfig{}, X, 3)
	if err != nil {
		t.Fatal(err)
	}
	gmm, err := anomaly.FitGMM(context.Background(), anomaly.GMMConfig{Axes: []int{0, 1, 2, 3, 4, 5, 6, 7}}, X, 3)
	if err != nil {
		t.Fatal(err)
	}
	ckm, err := deploy.NewAnomaly(km)
	if err != nil {
		t.Fatal(err)
	}
	cgmm, err := deploy.NewAnomaly(gmm)
	if err != nil {
		t.Fatal(err)
	}

	type check struct {
		what       string
		want       float64
		rtol, atol [2]float64 // float32 build, float64 build
	}
	var reqs []modelReq
	var checks []check // one per output value, in order
	for i, n := range nets {
		rows, _ := n.X.Dims()
		for r := 0; r < rows; r += 5 {
			x := n.X.RawRowView(r)
			y, err := n.net.Classify(nil, x)
			if err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, modelReq{0, i, x, len(y)})
			for j, v := range y {
				checks = append(checks, check{fmt.Sprintf("network %s row %d output %d", n.name, r, j), v, [2]float64{1e-5, 1e-5}, [2]float64{1e-5, 1e-5}})
			}
		}
	}
	rows, cols := X.Dims()
	for r := range rows {
		for _, scale := range []float64{1, 3} {
			x := make([]float64, cols)
			for j := range x {
				x[j] = scale * X.At(r, j)
			}
			reqs = append(reqs, modelReq{1, 0, x, 1}, modelReq{2, 0, x, 1})
			checks = append(checks,
				check{fmt.Sprintf("K-means window %d ×%g", r, scale), km.Score(x), [2]float64{1e-4, 1e-9}, [2]float64{1e-4, 1e-9}},
				check{fmt.Sprintf("GMM window %d ×%g", r, scale), gmm.Score(x), [2]float64{1e-4, 1e-9}, [2]float64{1e-4, 1e-9}})
		}
	}
	for _, v := range []struct {
		p    deploy.Precision
		asan bool
	}{{deploy.Float32, false}, {deploy.Float64, false}, {deploy.Float32, true}, {deploy.Float64, true}} {
		name := v.p.String()
		if v.asan {
			name += "-asan"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := runModelDriver(t, buildModelDriver(t, nets, []*deploy.Anomaly{ckm}, []*deploy.Anomaly{cgmm}, v.p, v.asan), reqs)
			k, pi := 0, 0
			if v.p == deploy.Float64 {
				pi = 1
			}
			worst := map[string]float64{}
			for _, g := range got {
				for _, y := range g {
					c := checks[k]
					k++
					d := math.Abs(y - c.want)
					allowed := c.atol[pi] + c.rtol[pi]*math.Abs(c.want)
					kind := strings.Fields(c.what)[0]
					worst[kind] = math.Max(worst[kind], d/allowed)
					if !(d <= allowed) {
						t.Errorf("%s: C %v, Go %v", c.what, y, c.want)
					}
				}
			}
			t.Logf("%s: largest difference as a fraction of the tolerance: %v", name, worst)
		})
	}
}
