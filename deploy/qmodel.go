package deploy

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/learn"
)

// qplan is an int8 network's layout: where each activation lives and the
// scratch columns of each CONV_2D.
type qplan struct {
	scratch []int // per op: bytes of im2col columns (CONV_2D), else 0
}

// newQNetwork prepares an int8 graph. Activations alternate between the
// two ends of the arena as in a float32 network; a CONV_2D whose windows
// cannot all be read in place gets two im2col columns of kh·kw·cin bytes
// between its input and output.
func newQNetwork(g *learn.Graph) (*Network, error) {
	n := &Network{g: g, loc: make([]int, len(g.Tensors)), q: &qplan{scratch: make([]int, len(g.Ops))}}
	for i := range n.loc {
		n.loc[i] = locInput
	}
	if err := checkQuant(g, g.Input); err != nil {
		return nil, err
	}
	for k, op := range g.Ops {
		if len(op.Inputs) == 0 || len(op.Outputs) != 1 {
			return nil, fmt.Errorf("deploy: operator %d (%s) has %d inputs and %d outputs", k, op.Kind, len(op.Inputs), len(op.Outputs))
		}
		in, out := op.Inputs[0], op.Outputs[0]
		if err := checkQuant(g, out); err != nil {
			return nil, err
		}
		switch op.Kind {
		case learn.OpReshape:
			n.loc[out] = n.loc[in]
			continue
		case learn.OpFullyConnected, learn.OpConv2D, learn.OpDepthwiseConv2D:
			if err := checkQWeights(g, k, &op); err != nil {
				return nil, err
			}
		case learn.OpMaxPool2D:
		case learn.OpSoftmax:
			if len(op.SoftmaxTable) != 256 {
				return nil, fmt.Errorf("deploy: int8 SOFTMAX %d has a table of %d values, want 256", k, len(op.SoftmaxTable))
			}
		default:
			return nil, fmt.Errorf("%w: operator %s", ErrUnsupported, op.Kind)
		}
		if op.Kind == learn.OpConv2D && !convInPlace(g, &op) {
			n.q.scratch[k] = 2 * op.KernelH * op.KernelW * chans(&g.Tensors[in])
		}
		if n.loc[in] == locLow {
			n.loc[out] = locHigh
		} else {
			n.loc[out] = locLow
		}
		low, high := g.Tensors[out].Elements(), 0
		if n.loc[in] == locLow {
			low, high = g.Tensors[in].Elements(), g.Tensors[out].Elements()
		} else if n.loc[in] == locHigh {
			high = g.Tensors[in].Elements()
		}
		n.arena = max(n.arena, align4(low)+n.q.scratch[k]+high)
	}
	return n, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// chans returns a tensor's channels (its last dimension).
func chans(t *learn.Tensor) int { return t.Shape[len(t.Shape)-1] }

// convInPlace reports whether every window of a CONV_2D lies inside its
// input and is contiguous there (a 1-row kernel, or one as wide as the
// input), so that the kernel reads the input in place.
func convInPlace(g *learn.Graph, op *learn.Operator) bool {
	ih, iw, _ := hwc(&g.Tensors[op.Inputs[0]])
	oh, ow, _ := hwc(&g.Tensors[op.Outputs[0]])
	if (oh-1)*op.StrideH+op.KernelH > ih || (ow-1)*op.StrideW+op.KernelW > iw {
		return false // SAME padding
	}
	return op.KernelH == 1 || op.KernelW == iw
}

func checkQuant(g *learn.Graph, t int) error {
	q := g.Tensors[t].Quant
	if g.Tensors[t].Type != learn.Int8 || q == nil || len(q.Scale) != 1 || len(q.ZeroPoint) != 1 ||
		!(q.Scale[0] > 0) || math.IsInf(q.Scale[0], 0) || q.ZeroPoint[0] < -128 || q.ZeroPoint[0] > 127 {
		return fmt.Errorf("deploy: tensor %q is not an int8 activation with one scale and zero point", g.Tensors[t].Name)
	}
	return nil
}

// checkQWeights checks an int8 FULLY_CONNECTED, CONV_2D or
// DEPTHWISE_CONV_2D operator: its weights, biases and requantisation, and
// that no accumulator can leave int32 (C's signed overflow is undefined,
// where Go's wraps).
func checkQWeights(g *learn.Graph, k int, op *learn.Operator) error {
	if len(op.Inputs) != 3 {
		return fmt.Errorf("deploy: operator %d (%s) has %d inputs, want 3", k, op.Kind, len(op.Inputs))
	}
	w, b, in := &g.Tensors[op.Inputs[1]], &g.Tensors[op.Inputs[2]], &g.Tensors[op.Inputs[0]]
	cout := chans(&g.Tensors[op.Outputs[0]])
	per := len(w.Int8) / max(cout, 1)
	if op.Kind == learn.OpDepthwiseConv2D {
		per = op.KernelH * op.KernelW
		if chans(in) != cout {
			return fmt.Errorf("%w: DEPTHWISE_CONV_2D %d with a depth multiplier", ErrUnsupported, k)
		}
	}
	if w.Int8 == nil || len(w.Int8) != per*cout || len(b.Int32) != cout || len(op.Multiplier) != cout || len(op.Shift) != cout {
		return fmt.Errorf("deploy: operator %d (%s): weights, biases or multipliers do not match its %d output channels", k, op.Kind, cout)
	}
	zp := in.Quant.ZeroPoint[0]
	for o := range cout {
		var sum int64
		for j := range per {
			var v int8
			if op.Kind == learn.OpDepthwiseConv2D {
				v = w.Int8[j*cout+o]
			} else {
				v = w.Int8[o*per+j]
			}
			sum += int64(max(v, -v))
		}
		if int64(math.Abs(float64(b.Int32[o])))+(128+max(zp, -zp))*sum > math.MaxInt32 {
			return fmt.Errorf("%w: operator %d (%s) output channel %d: its accumulator could overflow int32", ErrUnsupported, k, op.Kind, o)
		}
		if op.Multiplier[o] < 0 || op.Shift[o] < -31 || op.Shift[o] > 30 {
			return fmt.Errorf("deploy: operator %d (%s) output channel %d: multiplier %d, shift %d", k, op.Kind, o, op.Multiplier[o], op.Shift[o])
		}
	}
	return nil
}

// packWeights packs the rows (output channels) of a (cout, k) int8 matrix
// by pairs for the runtime's kernels: for each pair, ceil(k/4) groups of
// two words, one per channel, weight 4g+j in bits 8j..8j+7 (zeros past k
// and for the missing channel of an odd count).
func packWeights(w []int8, cout, k int) []uint32 {
	groups := (k + 3) / 4
	out := make([]uint32, 0, (cout+1)/2*2*groups)
	row := func(o, g int) uint32 {
		var v uint32
		if o >= cout {
			return 0
		}
		for j := range 4 {
			if i := 4*g + j; i < k {
				v |= uint32(uint8(w[o*k+i])) << (8 * j)
			}
		}
		return v
	}
	for o := 0; o < cout; o += 2 {
		for g := range groups {
			out = append(out, row(o, g), row(o+1, g))
		}
	}
	return out
}

// qSource writes an int8 network as `const ti_qnetwork <name>`.
func (n *Network) qSource(name string) string {
	g := n.g
	w := &cWriter{}
	w.printf("/* int8 network: generated by tinyimpulse (package deploy). */\n#include \"ti_model.h\"\n\n")
	kinds := map[learn.OpKind]string{
		learn.OpFullyConnected: "TI_OP_FULLY_CONNECTED", learn.OpConv2D: "TI_OP_CONV_2D", learn.OpDepthwiseConv2D: "TI_OP_DEPTHWISE_CONV_2D",
		learn.OpMaxPool2D: "TI_OP_MAX_POOL_2D", learn.OpReshape: "TI_OP_RESHAPE", learn.OpSoftmax: "TI_OP_SOFTMAX",
	}
	var ops []string
	for k, op := range g.Ops {
		in, out := &g.Tensors[op.Inputs[0]], &g.Tensors[op.Outputs[0]]
		ih, iw, ic := hwc(in)
		oh, ow, oc := hwc(out)
		wp, bp, mp, sp, rp, tp := "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"
		switch op.Kind {
		case learn.OpFullyConnected, learn.OpConv2D, learn.OpDepthwiseConv2D:
			wt, bt := &g.Tensors[op.Inputs[1]], &g.Tensors[op.Inputs[2]]
			wp, bp, mp, sp = fmt.Sprintf("%s_w%d", name, k), fmt.Sprintf("%s_b%d", name, k), fmt.Sprintf("%s_m%d", name, k), fmt.Sprintf("%s_s%d", name, k)
			bias := make([]int64, oc)
			if op.Kind == learn.OpDepthwiseConv2D {
				w.array("int8_t", wp, len(wt.Int8), func(i int) string { return strconv.Itoa(int(wt.Int8[i])) })
				for o := range oc {
					bias[o] = int64(bt.Int32[o])
				}
			} else {
				kk := len(wt.Int8) / oc
				packed := packWeights(wt.Int8, oc, kk)
				w.array("uint32_t", wp, len(packed), func(i int) string { return fmt.Sprintf("0x%08xu", packed[i]) })
				zp := in.Quant.ZeroPoint[0]
				for o := range oc {
					var s int64
					for _, v := range wt.Int8[o*kk : (o+1)*kk] {
						s += int64(v)
					}
					bias[o] = int64(bt.Int32[o]) - zp*s
				}
			}
			w.array("int32_t", bp, oc, func(i int) string { return int32Lit(bias[i]) })
			w.array("int32_t", mp, oc, func(i int) string { return int32Lit(int64(op.Multiplier[i])) })
			w.array("int8_t", sp, oc, func(i int) string { return strconv.Itoa(int(op.Shift[i])) })
			// The fused rounding constants 2^30 + 2^(30+e), e = -shift,
			// when every channel shifts right.
			fast := true
			for _, sh := range op.Shift {
				fast = fast && sh <= -1
			}
			if fast {
				rp = fmt.Sprintf("%s_r%d", name, k)
				w.array("int64_t", rp, oc, func(i int) string {
					return strconv.FormatInt(1<<30+1<<(30-op.Shift[i]), 10) + "LL"
				})
			}
		case learn.OpSoftmax:
			tp = fmt.Sprintf("%s_t%d", name, k)
			w.array("float", tp, 256, func(i int) string { return f32Lit(float64(op.SoftmaxTable[i])) })
		}
		outZP, actMin, actMax := out.Quant.ZeroPoint[0], op.ActMin, op.ActMax
		if op.Kind != learn.OpFullyConnected && op.Kind != learn.OpConv2D && op.Kind != learn.OpDepthwiseConv2D {
			actMin, actMax = -128, 127
		}
		scratch := "0u"
		if n.q.scratch[k] > 0 {
			// Between the tensor at the low end and the one at the high end.
			low := op.Outputs[0]
			if n.loc[op.Inputs[0]] == locLow {
				low = op.Inputs[0]
			}
			scratch = fmt.Sprintf("%du", align4(g.Tensors[low].Elements()))
		}
		ops = append(ops, fmt.Sprintf("\t{.run = %s, .kind = %s, .half_up = %d, .kh = %d, .kw = %d, .sh = %d, .sw = %d, .in_h = %d, .in_w = %d, .in_c = %d, .out_h = %d, .out_w = %d, .out_c = %d,\n\t .in_zp = %d, .out_zp = %d, .act_min = %d, .act_max = %d, .w = %s, .b = %s, .mult = %s, .shift = %s, .round = %s, .table = %s, .src = %s, .dst = %s, .scratch = %s},\n",
			qkernel(op.Kind), kinds[op.Kind], b2i(op.Rounding == learn.RoundHalfUp), op.KernelH, op.KernelW, op.StrideH, op.StrideW, ih, iw, ic, oh, ow, oc,
			in.Quant.ZeroPoint[0], outZP, actMin, actMax, wp, bp, mp, sp, rp, tp, n.qOffset(op.Inputs[0]), n.qOffset(op.Outputs[0]), scratch))
	}
	w.printf("static const ti_qop %s_ops[%d] = {\n", name, len(ops))
	for _, o := range ops {
		w.printf("%s", o)
	}
	w.printf("};\n")
	iq, oq := g.Tensors[g.Input].Quant, g.Tensors[g.Output].Quant
	w.printf("const ti_qnetwork %s = {.n_ops = %d, .ops = %s_ops, .inputs = %du, .outputs = %du, .arena = %du,\n\t.in_scale = %s, .out_scale = %s, .in_zp = %d, .out_zp = %d};\n",
		name, len(ops), name, n.Inputs(), n.Outputs(), n.arena, f32Lit(iq.Scale[0]), f32Lit(oq.Scale[0]), iq.ZeroPoint[0], oq.ZeroPoint[0])
	return w.b.String()
}

// int32Lit formats an int32 value as a C constant (INT32_MIN has no
// literal of its own).
func int32Lit(v int64) string {
	if v == math.MinInt32 {
		return "(-2147483647 - 1)"
	}
	return strconv.FormatInt(v, 10)
}

// qOffset returns the C location of an int8 tensor.
func (n *Network) qOffset(t int) string {
	switch n.loc[t] {
	case locLow:
		return "0u"
	case locHigh:
		return fmt.Sprintf("%du", n.arena-n.g.Tensors[t].Elements())
	}
	return "TI_AT_INPUT"
}

// qkernel names the runtime's int8 kernel of an operator (NULL for
// RESHAPE, whose output aliases its input).
func qkernel(k learn.OpKind) string {
	if k == learn.OpReshape {
		return "NULL"
	}
	return "ti_q_" + strings.ToLower(string(k))
}
