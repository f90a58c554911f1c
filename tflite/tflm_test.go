package tflite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/internal/tflmtest"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// The TensorFlow Lite Micro tests run only where TFLM_DIR names a TFLM
// build, and skip, saying so, elsewhere (CI has none: no registry ships
// TFLM). To run them (internal/tflmtest/README.md has the details):
//
//	git clone https://github.com/tensorflow/tflite-micro /work/cache/tflm/tflite-micro
//	apt-get install g++-multilib python3-numpy python3-pil
//	TFLM_DIR=/work/cache/tflm/tflite-micro internal/tflmtest/build-tflm.sh ref64 ref32 cmsis32
//	TFLM_DIR=/work/cache/tflm/tflite-micro go test -count=1 -run Micro -v ./tflite
//
// (the Makefile fetches flatbuffers, gemmlowp, ruy, kissfft and, for
// cmsis32, CMSIS and CMSIS-NN into tensorflow/lite/micro/tools/make/downloads
// unless they are there already). Every test runs in every library found
// under $TFLM_DIR/gen.

// microRuntimes returns the TFLM harnesses, or skips the test.
func microRuntimes(t *testing.T) []*tflmtest.Runtime {
	t.Helper()
	rts, err := tflmtest.Open()
	if errors.Is(err, tflmtest.ErrUnavailable) {
		t.Skipf("TensorFlow Lite Micro is not available, so the TFLM checks cannot run: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rts
}

// microCompared is what one network did in one TFLM build.
type microCompared struct {
	windows, exact int // int8 windows run, windows whose outputs all equal ClassifyInt8's
	outputs, off   int // int8 outputs compared, outputs that differ
	maxSteps       int // largest |TFLM − ClassifyInt8| in output steps
	softmaxOwn     int // outputs where TFLM's SOFTMAX differs from the table's (explainMicro)
	float32        int
	worstRel       float64 // largest float32 difference relative to the tolerance's scale
	// Arena figures of the int8 and float32 models: arena_used_bytes(),
	// the smallest working arena, and the device package's estimate.
	used, min, estimate [2]int
}

// microArenaEstimate is the device package's TFLM arena for a graph.
func microArenaEstimate(t *testing.T, g *learn.Graph) int {
	t.Helper()
	n, err := device.FromGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	p, err := device.ProfileNetwork(n, device.ProfileConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return p.TFLite.Arena
}

// checkMicro exports both variants of c and runs every window of c
// through TFLM: int8 outputs against Int8Network.ClassifyInt8 (counting
// the windows that match exactly and measuring any difference) and every
// int8 output accounted for by explainMicro, float32
// outputs against Network.Classify within the TensorFlow Lite tolerance,
// and the arena TFLM needs against the estimate.
func checkMicro(t *testing.T, rt *tflmtest.Runtime, c netCase) microCompared {
	t.Helper()
	var res microCompared
	n, q := c.net, c.q

	// int8
	qg := q.Graph()
	qm, err := Marshal(qg)
	if err != nil {
		t.Fatalf("%s int8: %v", c.name, err)
	}
	ins, xq := quantizeWindows(q, c.windows)
	out, err := rt.Run(qm, ins)
	if err != nil {
		t.Fatalf("%s int8 (%s): %v", c.name, rt.Name, err)
	}
	iq, oq := q.InputQuant(), q.OutputQuant()
	if out.Input.Type != "INT8" || out.Output.Type != "INT8" || float32(out.Input.Scale) != float32(iq.Scale) || out.Input.ZeroPoint != int(iq.ZeroPoint) ||
		float32(out.Output.Scale) != float32(oq.Scale) || out.Output.ZeroPoint != int(oq.ZeroPoint) {
		t.Fatalf("%s int8 (%s): TFLM sees input %+v and output %+v; the library quantises with %+v and %+v", c.name, rt.Name, out.Input, out.Output, iq, oq)
	}
	want := make([]int8, q.Outputs())
	for i, o := range out.Outputs {
		if err := q.ClassifyInt8(want, xq[i]); err != nil {
			t.Fatal(err)
		}
		same := true
		for j, v := range o {
			d := int(int8(v)) - int(want[j])
			res.outputs++
			if d != 0 {
				same = false
				res.off++
				res.maxSteps = max(res.maxSteps, abs(d))
			}
		}
		if same {
			res.exact++
		}
	}
	res.windows = len(out.Outputs)
	res.softmaxOwn = explainMicro(t, rt, c, xq, out.Outputs)
	res.used[0], res.min[0], res.estimate[0] = out.ArenaUsed, out.ArenaMin, microArenaEstimate(t, qg)

	// float32
	fg := n.Graph()
	fm, err := Marshal(fg)
	if err != nil {
		t.Fatalf("%s float32: %v", c.name, err)
	}
	for i, w := range c.windows {
		ins[i] = ins[i][:0]
		for _, v := range w {
			ins[i] = binary.LittleEndian.AppendUint32(ins[i], math.Float32bits(float32(v)))
		}
	}
	out, err = rt.Run(fm, ins)
	if err != nil {
		t.Fatalf("%s float32 (%s): %v", c.name, rt.Name, err)
	}
	if out.Input.Type != "FLOAT32" || out.Output.Type != "FLOAT32" {
		t.Fatalf("%s float32 (%s): TFLM sees input %+v and output %+v", c.name, rt.Name, out.Input, out.Output)
	}
	ys := make([][]float64, len(c.windows))
	floor := floatAbs
	for i, w := range c.windows {
		if ys[i], err = n.Classify(nil, w); err != nil {
			t.Fatal(err)
		}
		if n.Regression() {
			for _, v := range ys[i] {
				floor = max(floor, floatRel*math.Abs(v))
			}
		}
	}
	bad := 0
	for i, o := range out.Outputs {
		for j, y := range ys[i] {
			got := float64(math.Float32frombits(binary.LittleEndian.Uint32(o[4*j:])))
			d := math.Abs(got - y)
			m := max(math.Abs(got), math.Abs(y), floor/floatRel)
			res.worstRel = max(res.worstRel, d/m)
			if d > floatRel*m {
				if bad++; bad <= 5 {
					t.Errorf("%s float32 (%s) window %d output %d: TFLM %.9g, Classify %.9g", c.name, rt.Name, i, j, got, y)
				}
			}
		}
	}
	res.float32 = len(out.Outputs)
	res.used[1], res.min[1], res.estimate[1] = out.ArenaUsed, out.ArenaMin, microArenaEstimate(t, fg)

	// The estimate describes a 32-bit device (the device package's model
	// of TFLM's arena, calibrated on Edge Impulse's TFLM copy with
	// CMSIS-NN on a Cortex-M4, ±0.4% on the MLPerf Tiny models); a 64-bit
	// build's structures are larger, so only 32-bit builds are held to it,
	// for Studio's default int8 model: with the reference kernels it must
	// cover arena_used_bytes(); with CMSIS-NN, whose kernels keep more in
	// the arena in this TFLM than in the calibrated one, come within 5% of
	// it. float32 and the smallest working arena (larger for small models:
	// the planner's temporary allocations) are measured only, and logged
	// by microTable.
	if rt.PointerBits == 32 {
		est, used := res.estimate[0], res.used[0]
		if est < used && (!strings.Contains(rt.Name, "cmsis") || float64(est) < 0.95*float64(used)) {
			t.Errorf("%s int8 (%s): estimated TFLM arena %d B, arena_used_bytes() %d B", c.name, rt.Name, est, used)
		}
	}
	return res
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// microTable runs cases in every TFLM build, logs one line per network
// and returns the number of int8 outputs that differ from ClassifyInt8's.
func microTable(t *testing.T, title string, cases []netCase) int {
	off := 0
	for _, rt := range microRuntimes(t) {
		var sum strings.Builder
		windows := 0
		for _, c := range cases {
			r := checkMicro(t, rt, c)
			windows += r.windows
			off += r.off
			fmt.Fprintf(&sum, "\n  %-28s int8 %5d windows, %5d exact, %3d of %6d outputs differ (max %d step; TFLM's own softmax on %d); float32 %5d windows (largest relative difference %.2g); arena estimate − used, − smallest: int8 %5d %+5d %+5d, float32 %5d %+5d %+5d",
				c.name, r.windows, r.exact, r.off, r.outputs, r.maxSteps, r.softmaxOwn, r.float32, r.worstRel,
				r.estimate[0], r.estimate[0]-r.used[0], r.estimate[0]-r.min[0], r.estimate[1], r.estimate[1]-r.used[1], r.estimate[1]-r.min[1])
		}
		t.Logf("%s in TFLM %s (%d-bit), %d int8 windows:%s", title, rt.Name, rt.PointerBits, windows, sum.String())
	}
	return off
}

// TestMicroArchitectures runs the networks of every layer type learn has
// (as TestArchitectures) in TensorFlow Lite Micro. Their windows reach
// rounding ties where TFLM and the library part, so the explanation of
// the differences is put to work.
func TestMicroArchitectures(t *testing.T) {
	microRuntimes(t)
	if microTable(t, "architectures", architectures(t)) == 0 {
		t.Error("TFLM never differs from ClassifyInt8: the windows never reach a rounding tie, and the test cannot tell the roundings apart")
	}
}

// TestMicroTestdataNetworks runs the networks of
// testdata/learn/torch_forward.json in TensorFlow Lite Micro.
func TestMicroTestdataNetworks(t *testing.T) {
	microRuntimes(t)
	microTable(t, "testdata networks", torchCases(t))
}

// TestMicroSharedDatasets runs the shared datasets' default impulses'
// networks (as TestSharedDatasets) in TensorFlow Lite Micro.
func TestMicroSharedDatasets(t *testing.T) {
	microRuntimes(t)
	microTable(t, "shared datasets (seed 1)", sharedDatasetCases(t))
}

// readmeSnippet returns the C++ block of the repository's README.md that
// runs a model with TFLM.
func readmeSnippet(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range strings.Split(string(b), "```cpp\n")[1:] {
		code, _, _ := strings.Cut(block, "```")
		if strings.Contains(code, "MicroInterpreter") {
			return code
		}
	}
	t.Fatal("README.md has no ```cpp block with a MicroInterpreter")
	return ""
}

// snippetProgram wraps the README's snippet in a program: the model as
// `xxd -i` writes it (the array made alignas(16)), the names the snippet
// leaves to the reader (kArenaSize, clamp, x, n, c), and after it a
// loop printing every output as the snippet computes p.
func snippetProgram(snippet string, model []byte, arena int) []byte {
	var b strings.Builder
	b.WriteString(`#include <cmath>
#include <cstdint>
#include <cstdio>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

alignas(16) unsigned char gestures_tflite[] = {`)
	for i, v := range model {
		if i%12 == 0 {
			b.WriteString("\n ")
		}
		fmt.Fprintf(&b, " 0x%02x,", v)
	}
	fmt.Fprintf(&b, `
};
unsigned int gestures_tflite_len = %d;

constexpr size_t kArenaSize = %d;
static long clamp(long v, long lo, long hi) { return v < lo ? lo : v > hi ? hi : v; }
static float x[1 << 16];

int main() {
  int n = static_cast<int>(std::fread(x, sizeof x[0], sizeof x / sizeof x[0], stdin));
  int c = 0;
`, len(model), arena)
	b.WriteString(snippet)
	b.WriteString(`  for (c = 0; c < static_cast<int>(out->bytes); c++) {
    p = (out->data.int8[c] - out->params.zero_point) * out->params.scale;
    std::printf("%d %.9g\n", out->data.int8[c], p);
  }
  return 0;
}
`)
	return []byte(b.String())
}

// TestMicroReadmeSnippet compiles the README's TFLM snippet as it stands
// against every TFLM build, with two shared-dataset models embedded as
// `xxd -i` would and the smallest arena the harness found for the model
// in that build (the estimate is checked by checkMicro), and runs it on
// float features of windows of each: the snippet's outputs and p must be
// those of the harness run on the features quantised by the library
// (InputQuant().QuantizeInput), so its input quantisation is the
// library's.
func TestMicroReadmeSnippet(t *testing.T) {
	rts := microRuntimes(t)
	snippet := readmeSnippet(t)
	for _, c := range sharedDatasetCases(t) {
		if c.name != "gestures-continuous" && c.name != "digits-8x8" {
			continue
		}
		model, err := Marshal(c.q.Graph())
		if err != nil {
			t.Fatal(err)
		}
		windows := c.windows[:min(len(c.windows), 25)]
		for _, rt := range rts {
			if rt.EdgeImpulse {
				t.Logf("TFLM %s is Edge Impulse's copy, whose AllocateTensors takes an argument (run_all_prep_ops): the snippet is not for it", rt.Name)
				continue
			}
			// The harness's outputs for the windows quantised as the
			// library quantises them.
			ins := make([][]byte, len(windows))
			for i, w := range windows {
				for _, v := range w {
					ins[i] = append(ins[i], byte(c.q.InputQuant().QuantizeInput(v)))
				}
			}
			r, err := rt.Run(model, ins)
			if err != nil {
				t.Fatal(err)
			}
			arena, estimate := r.ArenaMin, microArenaEstimate(t, c.q.Graph())
			bin, err := rt.Build("snippet", snippetProgram(snippet, model, arena))
			if err != nil {
				t.Fatalf("the README's snippet does not build against TFLM %s: %v", rt.Name, err)
			}
			oq := c.q.OutputQuant()
			for i, w := range windows {
				var in bytes.Buffer
				for _, v := range w {
					binary.Write(&in, binary.LittleEndian, float32(v))
				}
				cmd := exec.Command(bin)
				cmd.Stdin = &in
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("%s (%s): the snippet program failed with a %d B arena: %v", c.name, rt.Name, arena, err)
				}
				want := r.Outputs[i]
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				if len(lines) != len(want) {
					t.Fatalf("%s (%s) window %d: the snippet printed %d outputs, want %d", c.name, rt.Name, i, len(lines), len(want))
				}
				for j, line := range lines {
					var q int
					var p float64
					if _, err := fmt.Sscan(line, &q, &p); err != nil {
						t.Fatalf("%s (%s): bad line %q", c.name, rt.Name, line)
					}
					wp := float32(float32(int32(int8(want[j]))-oq.ZeroPoint) * float32(oq.Scale))
					if q != int(int8(want[j])) || float32(p) != wp {
						t.Errorf("%s (%s) window %d output %d: the snippet gives %d (p = %v), TFLM on the library's quantised input %d (p = %v)", c.name, rt.Name, i, j, q, p, int8(want[j]), wp)
					}
				}
			}
			t.Logf("%s: the README's snippet built against TFLM %s (%d-bit) with kArenaSize = %d (impulse estimate: %d) ran %d windows", c.name, rt.Name, rt.PointerBits, arena, estimate, len(windows))
		}
	}
}

// softmaxLUT is the graph's int8 SOFTMAX as learn documents it
// (Operator.SoftmaxTable: TensorFlow Lite 2.9's lookup-table kernel).
func softmaxLUT(op *learn.Operator, x []int8) []int8 {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	e := make([]float32, len(x))
	var sum float32
	for j, v := range x {
		e[j] = op.SoftmaxTable[255-int(m)+int(v)]
		sum += e[j]
	}
	y := make([]int8, len(x))
	for j := range x {
		q := float32(math.Round(float64(e[j] / (sum / 256))))
		y[j] = int8(max(-128, min(127, q-128)))
	}
	return y
}

// softmaxExact quantises the exact softmax of the dequantised logits.
func softmaxExact(scale float64, x []int8) []int8 {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(scale * float64(int(v)-int(m)))
	}
	y := make([]int8, len(x))
	for j, v := range x {
		p := math.Exp(scale*float64(int(v)-int(m))) / sum
		y[j] = int8(max(-128, min(127, math.Round(p*256)-128)))
	}
	return y
}

// TestMicroOpRounding isolates every FULLY_CONNECTED, CONV_2D,
// DEPTHWISE_CONV_2D and SOFTMAX operator of the test networks in a model of
// its own, as TestOpRounding does, and feeds it random int8 inputs in
// TFLM. TFLM's reference kernels requantise with gemmlowp's
// RoundingDivideByPOT (TFLITE_SINGLE_ROUNDING is not set), so every output
// must equal the graph's arithmetic with halves rounded away from zero.
// Its SOFTMAX is gemmlowp's fixed-point exponential, not TensorFlow Lite
// 2.9's table: the test measures how far it is from the table kernel and
// from the exact softmax of the dequantised logits.
func TestMicroOpRounding(t *testing.T) {
	for _, rt := range microRuntimes(t) {
		rng := rand.New(rand.NewPCG(5, 5))
		exported := map[learn.OpKind][2]int{} // outputs where TFLM agrees with the exported rounding, and all outputs
		var softmax [3]map[int]int            // histograms of TFLM−table, TFLM−exact, table−exact
		for i := range softmax {
			softmax[i] = map[int]int{}
		}
		outputs := 0
		for _, c := range architectures(t) {
			g0 := c.q.Graph()
			for k, op := range g0.Ops {
				if op.Kind != learn.OpFullyConnected && op.Kind != learn.OpConv2D && op.Kind != learn.OpDepthwiseConv2D && op.Kind != learn.OpSoftmax {
					continue
				}
				g := c.q.Graph()
				g.Ops, g.Input, g.Output = []learn.Operator{op}, op.Inputs[0], op.Outputs[0]
				b, err := Marshal(g)
				if err != nil {
					t.Fatalf("%s op %d: %v", c.name, k, err)
				}
				nin := g.Tensors[g.Input].Elements()
				ins := make([][]byte, 2000)
				for i := range ins {
					ins[i] = make([]byte, nin)
					// Softmax logits within a random width below 127, so
					// that the outputs spread over the whole range.
					w := 256
					if op.Kind == learn.OpSoftmax {
						w = 1 + rng.IntN(256)
					}
					for j := range ins[i] {
						ins[i][j] = byte(127 - rng.IntN(w))
					}
				}
				out, err := rt.Run(b, ins)
				if err != nil {
					t.Fatalf("%s op %d (%s): %v", c.name, k, rt.Name, err)
				}
				away := op
				away.Rounding = learn.RoundHalfAway
				bad := 0
				for i, o := range out.Outputs {
					x := make([]int8, nin)
					for j, v := range ins[i] {
						x[j] = int8(v)
					}
					if op.Kind == learn.OpSoftmax {
						lut, exact := softmaxLUT(&op, x), softmaxExact(g.Tensors[g.Input].Quant.Scale[0], x)
						for j, v := range o {
							softmax[0][int(int8(v))-int(lut[j])]++
							softmax[1][int(int8(v))-int(exact[j])]++
							softmax[2][int(lut[j])-int(exact[j])]++
						}
						outputs += len(o)
						continue
					}
					want, exp := runOp(g, &away, x), runOp(g, &op, x)
					e := exported[op.Kind]
					for j, v := range o {
						if int8(v) != want[j] {
							if bad++; bad <= 3 {
								t.Errorf("%s op %d (%s, %s) window %d output %d: TFLM %d, graph with halves away from zero %d", c.name, k, op.Kind, rt.Name, i, j, int8(v), want[j])
							}
						}
						if int8(v) == exp[j] {
							e[0]++
						}
						e[1]++
					}
					exported[op.Kind] = e
					outputs += len(o)
				}
			}
		}
		t.Logf("TFLM %s: %d outputs; FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D round halves away from zero on every output (outputs agreeing with the exported rounding, of all: %v); SOFTMAX differences in output steps: TFLM−table %v, TFLM−exact %v, table−exact %v",
			rt.Name, outputs, exported, softmax[0], softmax[1], softmax[2])
	}
}

// runGraph computes an int8 graph from its description alone (runOp's
// operators, MAX_POOL_2D with TensorFlow's SAME padding, RESHAPE and the
// table SOFTMAX), with every requantisation rounding its halves as r says
// (nil: as the graph says). It returns the output and the last operator's
// input.
func runGraph(t *testing.T, g *learn.Graph, r *learn.Rounding, x []int8) (y, last []int8) {
	t.Helper()
	vals := map[int][]int8{g.Input: x}
	for k := range g.Ops {
		op := g.Ops[k]
		in := vals[op.Inputs[0]]
		if in == nil {
			t.Fatalf("op %d (%s): input %d not computed", k, op.Kind, op.Inputs[0])
		}
		last = in
		var out []int8
		switch op.Kind {
		case learn.OpFullyConnected, learn.OpConv2D, learn.OpDepthwiseConv2D:
			if op.StrideH != 1 || op.StrideW != 1 || (op.Kind == learn.OpDepthwiseConv2D && (op.KernelH != 1 || op.KernelW != 1)) {
				t.Fatalf("op %d (%s): runOp has no stride %d×%d, kernel %d×%d", k, op.Kind, op.StrideH, op.StrideW, op.KernelH, op.KernelW)
			}
			if r != nil {
				op.Rounding = *r
			}
			out = runOp(g, &op, in)
		case learn.OpMaxPool2D:
			ti, to := &g.Tensors[op.Inputs[0]], &g.Tensors[op.Outputs[0]]
			h, w, c := ti.Shape[1], ti.Shape[2], ti.Shape[3]
			oh, ow := to.Shape[1], to.Shape[2]
			ph := max((oh-1)*op.StrideH+op.KernelH-h, 0) / 2
			pw := max((ow-1)*op.StrideW+op.KernelW-w, 0) / 2
			out = make([]int8, to.Elements())
			for oy := range oh {
				for ox := range ow {
					for ch := range c {
						m := int8(math.MinInt8)
						for dy := range op.KernelH {
							for dx := range op.KernelW {
								iy, ix := oy*op.StrideH+dy-ph, ox*op.StrideW+dx-pw
								if iy >= 0 && iy < h && ix >= 0 && ix < w {
									m = max(m, in[(iy*w+ix)*c+ch])
								}
							}
						}
						out[(oy*ow+ox)*c+ch] = m
					}
				}
			}
		case learn.OpReshape:
			out = in
		case learn.OpSoftmax:
			out = softmaxLUT(&op, in)
		default:
			t.Fatalf("op %d: runGraph has no %s", k, op.Kind)
		}
		vals[op.Outputs[0]] = out
	}
	return vals[g.Output], last
}

// explainMicro accounts for every int8 output TFLM computed (outs, for
// the inputs xs), window by window: it must equal the graph computed with
// halves rounded away from zero, TFLM's rounding (runGraph), except that a
// final SOFTMAX is TFLM's own, run on the logits runGraph gives (an
// isolated SOFTMAX model in TFLM). It checks that the same evaluator with
// the exported rounding gives ClassifyInt8's outputs, so that the
// differences from the library come from these two causes alone, and
// returns the number of outputs where TFLM's SOFTMAX differs from the
// table's.
func explainMicro(t *testing.T, rt *tflmtest.Runtime, c netCase, xs [][]int8, outs [][]byte) int {
	t.Helper()
	g := c.q.Graph()
	want := make([][]int8, len(xs))
	logits := make([][]byte, len(xs))
	lib := make([]int8, c.q.Outputs())
	away := learn.RoundHalfAway
	for i, x := range xs {
		var last []int8
		want[i], last = runGraph(t, g, &away, x)
		logits[i] = make([]byte, len(last))
		for j, v := range last {
			logits[i][j] = byte(v)
		}
		if err := c.q.ClassifyInt8(lib, x); err != nil {
			t.Fatal(err)
		}
		if y, _ := runGraph(t, g, nil, x); !slices.Equal(y, lib) {
			t.Fatalf("%s window %d: runGraph %v, ClassifyInt8 %v", c.name, i, y, lib)
		}
	}
	softmaxOwn := 0
	if final := g.Ops[len(g.Ops)-1]; final.Kind == learn.OpSoftmax {
		sg := c.q.Graph()
		sg.Ops, sg.Input, sg.Output = []learn.Operator{final}, final.Inputs[0], final.Outputs[0]
		sm, err := Marshal(sg)
		if err != nil {
			t.Fatal(err)
		}
		so, err := rt.Run(sm, logits)
		if err != nil {
			t.Fatalf("%s softmax (%s): %v", c.name, rt.Name, err)
		}
		for i, o := range so.Outputs {
			for j, v := range o {
				if int8(v) != want[i][j] {
					softmaxOwn++
					want[i][j] = int8(v)
				}
			}
		}
	}
	bad := 0
	for i, o := range outs {
		for j, v := range o {
			if int8(v) != want[i][j] {
				if bad++; bad <= 3 {
					t.Errorf("%s (%s) window %d output %d: TFLM %d, the graph with TFLM's rounding and softmax %d", c.name, rt.Name, i, j, int8(v), want[i][j])
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s (%s): %d outputs unexplained", c.name, rt.Name, bad)
	}
	return softmaxOwn
}
