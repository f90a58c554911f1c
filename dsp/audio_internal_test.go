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
