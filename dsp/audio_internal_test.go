package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDBQuantizer checks the logarithm-free quantiser against the direct
// computation on energies spread over 30 decades, on the thresholds
// themselves and next to them, for several noise floors.
func TestDBQuantizer(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(5, 5))
	for _, nf := range []float64{-52, -72, -100, 0, 11} {
		q := newDBQuantizer(nf)
		check := func(e float64) {
			if got, want := q.fastLevel(e), q.level(e); got != want {
				t.Fatalf("nf %v, e %v: fastLevel %d, level %d", nf, e, got, want)
			}
		}
		for range 200000 {
			check(math.Pow(10, rnd.Float64()*30-15))
		}
		for k := 1; k <= 256; k++ {
			e := q.thr[k]
			check(e * (1 + 1e-12))
			check(e * (1 + 3e-9))
			check(e * (1 - 3e-9))
			check(e)
			check(math.Nextafter(e, 0))
			check(math.Nextafter(e, math.Inf(1)))
			check(e * (1 + 1e-8))
			check(e * (1 - 1e-8))
		}
		check(1e-10)
		check(1e30)
	}
}

// TestMFEQuantisedExactly checks every MFE v4 output against the direct
// logarithm formula applied to the block's own filterbank energies, on
// loud, quiet and silent windows and several noise floors.
func TestMFEQuantisedExactly(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(6, 6))
	for _, nf := range []int{-52, -90, -20, 5} {
		cfg := DefaultMFEConfig()
		cfg.NoiseFloorDB = nf
		b, err := NewMFE(cfg, Input{FrequencyHz: 16000, Axes: 1, Samples: 8000})
		if err != nil {
			t.Fatal(err)
		}
		for _, amp := range []float64{30000, 3000, 30, 1, 0} {
			w := make([]float64, 8000)
			for i := range w {
				w[i] = math.Round(amp * math.Sin(float64(i)*0.05*(1+float64(i)/8000)) * (0.5 + rnd.Float64()))
			}
			got, err := b.AppendFeatures(nil, w)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range b.energy[:b.NumFeatures()] {
				if want := float64(uint8(b.quant.level(e))) / 256; got[i] != want {
					t.Fatalf("nf %d amp %v value %d: energy %v gives %v, formula %v", nf, amp, i, e, got[i], want)
				}
			}
		}
	}
}

// TestPyFloat checks pyFloat against Python 3's str(float).
func TestPyFloat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		v    float64
		want string
	}{
		{2, "2.0"}, {0.1, "0.1"}, {29.3, "29.3"}, {0.0001, "0.0001"}, {math.Copysign(0, -1), "-0.0"}, {0, "0.0"},
		{1e15, "1000000000000000.0"}, {123.456, "123.456"}, {1e-5, "1e-05"}, {1.5e-7, "1.5e-07"}, {1e16, "1e+16"},
		{1.2345e16, "1.2345e+16"}, {-3e-300, "-3e-300"}, {5e-324, "5e-324"}, {math.MaxFloat64, "1.7976931348623157e+308"},
		{0.00012345, "0.00012345"}, {9999999999999998, "9999999999999998.0"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{math.NaN(), "nan"}, {0.30000000000000004, "0.30000000000000004"}, {1.0 / 3, "0.3333333333333333"},
	} {
		if got := pyFloat(c.v); got != c.want {
			t.Errorf("pyFloat(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
