package learn

import (
	"math"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/learn/internal/gorgref"
)

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// TestAgainstGorgonia checks the loss, the softmax outputs and every parameter
// gradient of our float32 kernels against gorgonia's symbolic differentiation
// (float64) of the same network with the same weights.
func TestAgainstGorgonia(t *testing.T) {
	t.Parallel()
	for _, c := range []gradCase{
		{name: "dense", layers: []VisualLayer{{Type: "dense", Neurons: 20}, {Type: "dense", Neurons: 10}}, in: Input{Kind: InputFlat, Width: 33}, k: 4},
		{name: "conv1d", layers: []VisualLayer{{Type: "reshape", Columns: 13}, {Type: "conv1d", Neurons: 8, KernelSize: 3},
			{Type: "conv1d", Neurons: 16, KernelSize: 3}, {Type: "flatten"}}, in: Input{Kind: InputMFCC, Width: 20, Height: 13}, k: 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			const nb = 6
			net, tr := newCaseNet(t, c, nb, 21)
			reg := tr.forward(nb, true)
			l, _ := tr.head(nb, true)
			loss := (l + reg) / nb
			tr.backward(nb)

			var convs []gorgref.Conv1D
			var dense []gorgref.Dense
			var order []*layer
			for i := range net.layers {
				ly := &net.layers[i]
				w, b := to64(net.params[ly.w:ly.w+ly.wn]), to64(net.params[ly.b:ly.b+ly.bn])
				switch ly.kind {
				case kConv1D:
					convs = append(convs, gorgref.Conv1D{K: ly.k, Cin: ly.in.c, Cout: ly.out.c, W: w, B: b})
					order = append(order, ly)
				case kPool1D:
					convs[len(convs)-1].Pool = true
				case kDense:
					d := gorgref.Dense{In: ly.in.c, Out: ly.out.c, W: w, B: b, ReLU: ly.act == actReLU}
					if ly.l1 {
						d.L1 = l1Activity
					}
					dense = append(dense, d)
					order = append(order, ly)
				}
			}
			steps := 1
			if len(convs) > 0 {
				steps = c.in.Width
			}
			ref, err := gorgref.Run(to64(tr.xs), nb, steps, convs, dense, tr.y[:nb])
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(loss-ref.Loss) > 1e-5*math.Abs(ref.Loss) {
				t.Errorf("loss %.8g, gorgonia %.8g", loss, ref.Loss)
			}
			probs := make([]float64, nb*net.Outputs())
			logits := tr.acts[len(net.layers)]
			for s := range nb {
				z := append([]float32(nil), logits[s*net.Outputs():(s+1)*net.Outputs()]...)
				softmax(z)
				copy(probs[s*net.Outputs():], to64(z))
			}
			for i := range probs {
				if math.Abs(probs[i]-ref.Probs[i]) > 1e-5 {
					t.Errorf("probability %d: %.7g, gorgonia %.7g", i, probs[i], ref.Probs[i])
				}
			}
			for j, ly := range order {
				for name, pair := range map[string][2][]float64{
					"kernel": {to64(tr.g[ly.w : ly.w+ly.wn]), ref.GradW[j]},
					"bias":   {to64(tr.g[ly.b : ly.b+ly.bn]), ref.GradB[j]},
				} {
					got, want := pair[0], pair[1]
					if len(got) != len(want) {
						t.Fatalf("%s %s: %d gradients, gorgonia %d", ly.name, name, len(got), len(want))
					}
					for i := range got {
						if !close32(got[i], want[i], 1e-6, 1e-3) {
							t.Errorf("%s %s gradient %d: %.7g, gorgonia %.7g", ly.name, name, i, got[i], want[i])
						}
					}
				}
			}
		})
	}
}
