package learn

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestInt8MatchesNumpyReference quantises the networks of torch_forward.json
// with their windows as the representative dataset and compares the integer
// outputs with an independent numpy implementation of the same TFLite scheme
// (testdata/learn/int8_reference.py). The float calibration runs in float32 here
// and float64 there; the quantisation parameters still agree to 1e-6 and every
// int8 output exactly.
func TestInt8MatchesNumpyReference(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../testdata/learn/int8_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Name          string
			Input, Output struct {
				Scale     float64
				ZeroPoint int32
			}
			Y [][]int
		}
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	cases, nets := loadTorchCases(t)
	if len(cases) != len(ref.Cases) {
		t.Fatalf("%d cases, reference has %d", len(cases), len(ref.Cases))
	}
	for i, c := range cases {
		r := ref.Cases[i]
		X := mat.NewDense(len(c.X), len(c.X[0]), nil)
		for j, row := range c.X {
			X.SetRow(j, row)
		}
		q, err := Quantize(context.Background(), nets[i], X, nil)
		if err != nil {
			t.Fatal(err)
		}
		if in := q.InputQuant(); in.ZeroPoint != r.Input.ZeroPoint || math.Abs(in.Scale-r.Input.Scale) > 1e-6*r.Input.Scale {
			t.Errorf("%s: input quantisation %+v, numpy %+v", c.Name, in, r.Input)
		}
		xq := make([]int8, q.Features())
		out := make([]int8, q.Outputs())
		for j, x := range c.X {
			for k, v := range x {
				xq[k] = q.InputQuant().QuantizeInput(v)
			}
			if err := q.ClassifyInt8(out, xq); err != nil {
				t.Fatal(err)
			}
			for k, v := range out {
				if int(v) != r.Y[j][k] {
					t.Errorf("%s window %d output %d: %d, numpy %d", c.Name, j, k, v, r.Y[j][k])
				}
			}
		}
	}
}
