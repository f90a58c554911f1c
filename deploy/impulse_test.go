package deploy_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// gesturesImpulse is the gestures impulse (testdata/impulses/gestures.json:
// spectral analysis → dense classifier with Studio's default architecture +
// K-means with 32 clusters) trained on the project's gestures recordings,
// with every 2 s window (240 ms apart) of them.
type gesturesImpulse struct {
	blk      dsp.Block
	net      *learn.Network
	km       *anomaly.KMeans
	labels   []string
	windows  [][]float64
	features [][]float64
	imp      *deploy.Impulse
}

func newGesturesImpulse(t *testing.T) *gesturesImpulse {
	t.Helper()
	g := &gesturesImpulse{}
	g.blk, _ = gesturesBlock(t)
	files, _ := filepath.Glob("../testdata/gestures/*/*.json")
	var y []int
	for _, f := range files {
		label := strings.SplitN(filepath.Base(f), ".", 2)[0]
		li := slices.Index(g.labels, label)
		if li < 0 {
			g.labels = append(g.labels, label)
			li = len(g.labels) - 1
		}
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
			feats, err := g.blk.AppendFeatures(nil, w)
			if err != nil {
				t.Fatal(err)
			}
			g.windows = append(g.windows, w)
			g.features = append(g.features, feats)
			y = append(y, li)
		}
	}
	nf := len(g.features[0])
	X := mat.NewDense(len(g.features), nf, nil)
	for i, f := range g.features {
		X.SetRow(i, f)
	}
	in := learn.Input{Kind: learn.InputFlat, Width: nf}
	res, err := learn.Train(context.Background(), learn.DefaultConfig(in), in, learn.Dataset{X: X, Y: y, Labels: g.labels}, learn.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	g.net = res.Network
	if g.km, err = anomaly.FitKMeans(context.Background(), anomaly.KMeansConfig{}, X, 3); err != nil {
		t.Fatal(err)
	}
	dblk, err := deploy.NewDSPBlock(g.blk)
	if err != nil {
		t.Fatal(err)
	}
	cnet, err := deploy.NewNetwork(g.net.Graph())
	if err != nil {
		t.Fatal(err)
	}
	ckm, err := deploy.NewAnomaly(g.km)
	if err != nil {
		t.Fatal(err)
	}
	g.imp = &deploy.Impulse{InputAxes: 3, InputLength: len(g.windows[0]),
		DSP:     []deploy.ImpulseDSP{{Block: dblk}},
		Network: cnet, NetworkInput: []deploy.Range{{0, nf}}, Labels: g.labels, MinScore: 0.6,
		Anomaly: ckm, AnomalyInput: []deploy.Range{{0, nf}}, AnomalyThreshold: g.km.Threshold()}
	return g
}

// impResult is what ti_run_classifier returned for one window.
type impResult struct {
	status, result int32
	flags          uint32
	anomaly        float64
	scores         []float64
}

func runImpDriver(t *testing.T, exe string, windows [][]float64, outputs int) []impResult {
	t.Helper()
	var in bytes.Buffer
	for _, w := range windows {
		binary.Write(&in, binary.LittleEndian, uint32(0))
		binary.Write(&in, binary.LittleEndian, w)
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
	res := make([]impResult, len(windows))
	for i := range res {
		var hdr [3]int32
		if err := binary.Read(rd, binary.LittleEndian, &hdr); err != nil {
			t.Fatal(err)
		}
		res[i].status, res[i].result, res[i].flags = hdr[0], hdr[1], uint32(hdr[2])
		res[i].scores = make([]float64, outputs)
		if err := binary.Read(rd, binary.LittleEndian, &res[i].anomaly); err != nil {
			t.Fatal(err)
		}
		if err := binary.Read(rd, binary.LittleEndian, res[i].scores); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func buildImpDriver(t *testing.T, imp *deploy.Impulse, p deploy.Precision, asan bool) string {
	t.Helper()
	cc := hostCC(t)
	dir := t.TempDir()
	srcs := writeRuntime(t, dir)
	src, err := imp.CSource("imp")
	if err != nil {
		t.Fatal(err)
	}
	src += "const ti_impulse *const ti_impulses[] = {&imp};\n"
	if err := os.WriteFile(filepath.Join(dir, "impulses.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	copyTestdata(t, dir, "impdriver.c")
	exe := filepath.Join(dir, "impdriver")
	args := append([]string{}, cflags...)
	args = append(args, "-D"+p.Define(), "-I", dir, "-o", exe)
	if asan {
		args = append(args, "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-DTI_CANARY=0")
	} else {
		args = append(args, "-O2")
	}
	args = append(args, srcs...)
	args = append(args, filepath.Join(dir, "impulses.c"), filepath.Join(dir, "impdriver.c"), "-lm")
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	return exe
}

// goDecide is package impulse's decision: the top label, uncertain below
// minScore, anomaly above the threshold (-1 uncertain, -2 anomaly, as
// ti_run_classifier reports them).
func goDecide(scores []float64, minScore, anomaly, threshold float64) int32 {
	best := 0
	for j, v := range scores {
		if v > scores[best] {
			best = j
		}
	}
	r := int32(best)
	if scores[best] < minScore {
		r = -1
	}
	if anomaly > threshold {
		r = -2
	}
	return r
}

// TestHostImpulse runs every window of the gestures recordings through the
// whole gestures impulse in C (ti_run_classifier: spectral analysis, the
// float32 network, K-means) in both precisions, with and without
// ASan/UBSan, and compares it with the Go pipeline (dsp, learn's Classify,
// anomaly's Score): scores within 1e-5 (float64 build) or 1e-4 (float32
// build, whose features carry float32 rounding), anomaly scores within
// 1e-9 or 1e-4 relative, and the same decided result (uncertain, anomaly
// or the label) for every window whose deciding score is not within that
// tolerance of its threshold.
func TestHostImpulse(t *testing.T) {
	hostCC(t)
	g := newGesturesImpulse(t)
	type expect struct {
		scores  []float64
		anomaly float64
		result  int32
	}
	want := make([]expect, len(g.windows))
	for i, f := range g.features {
		s, err := g.net.Classify(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		a := g.km.Score(f)
		want[i] = expect{s, a, goDecide(s, 0.6, a, g.km.Threshold())}
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
			stol, atol := 1e-4, 1e-4
			if v.p == deploy.Float64 {
				stol, atol = 1e-5, 1e-9
			}
			got := runImpDriver(t, buildImpDriver(t, g.imp, v.p, v.asan), g.windows, len(g.labels))
			var worstS, worstA float64
			decided := 0
			for i, r := range got {
				w := want[i]
				if r.status != 0 || r.flags != 0 {
					t.Fatalf("window %d: status %d, flags %d", i, r.status, r.flags)
				}
				for j, s := range r.scores {
					worstS = math.Max(worstS, math.Abs(s-w.scores[j]))
				}
				da := math.Abs(r.anomaly-w.anomaly) / math.Max(1, math.Abs(w.anomaly))
				worstA = math.Max(worstA, da)
				top := slices.Max(w.scores)
				near := math.Abs(top-0.6) < stol || math.Abs(w.anomaly-g.km.Threshold()) < atol*math.Max(1, math.Abs(w.anomaly))
				if r.result != w.result && !near {
					t.Errorf("window %d: C decided %d, Go %d (top score %v, anomaly %v)", i, r.result, w.result, top, w.anomaly)
				}
				if r.result == w.result {
					decided++
				}
			}
			if worstS > stol {
				t.Errorf("largest score difference %g, over %g", worstS, stol)
			}
			if worstA > atol {
				t.Errorf("largest relative anomaly difference %g, over %g", worstA, atol)
			}
			t.Logf("%s: %d windows, %d with the same decided result; largest score difference %.3g, anomaly %.3g (relative)", name, len(got), decided, worstS, worstA)
		})
	}
}
