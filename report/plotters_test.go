package report

import (
	"math"
	"slices"
	"testing"
)

// TestNiceTicks checks the labelled ticks of everyday ranges and that
// degenerate ranges end quickly with their ends.
func TestNiceTicks(t *testing.T) {
	labelled := func(lo, hi float64, n int, integer bool) []string {
		var out []string
		for _, tk := range (niceTicks{n: n, integer: integer}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	for _, c := range []struct {
		lo, hi  float64
		n       int
		integer bool
		want    []string
	}{
		{0, 6000, 7, false, []string{"0", "1000", "2000", "3000", "4000", "5000", "6000"}},
		{-1.3, 1.7, 5, false, []string{"-1", "0", "1"}},
		{0, 1, 5, false, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{0, 16, 5, true, []string{"0", "5", "10", "15"}},
		{0, 3, 5, true, []string{"0", "1", "2", "3"}},
		{0.5, 30.5, 7, false, []string{"5", "10", "15", "20", "25", "30"}},
		{0, 150, 6, false, []string{"0", "25", "50", "75", "100", "125", "150"}},
		{0, 0.9, 4, false, []string{"0.00", "0.25", "0.50", "0.75"}},
	} {
		if got := labelled(c.lo, c.hi, c.n, c.integer); !slices.Equal(got, c.want) {
			t.Errorf("[%v, %v]: %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
	for _, r := range [][2]float64{{0, 1e-320}, {1e17, 1e17 + 64}, {-math.MaxFloat64, math.MaxFloat64}, {1, 1}, {math.NaN(), 1}, {0, math.Inf(1)}} {
		if n := len((niceTicks{n: 5}).Ticks(r[0], r[1])); n == 0 || n > 4 {
			t.Errorf("[%v, %v]: %d ticks, want the ends only", r[0], r[1], n)
		}
	}
}
