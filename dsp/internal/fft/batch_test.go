package fft

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestBatchMatchesPowerTo checks that a batch gives, bit for bit, the power
// spectra of four PowerTo calls, for every length up to 2^14 and sequences
// shorter than, equal to and longer than the transform, in rows wider than
// four values.
func TestBatchMatchesPowerTo(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(4, 4))
	for n := 1; n <= 1<<14; n *= 2 {
		p, _ := NewReal(n)
		b := p.NewBatch()
		h := n/2 + 1
		for _, ld := range []int{4, 7} {
			var x [4][]float64
			for l := range x {
				x[l] = make([]float64, []int{n, n/2 + 1, 2*n + 1, n}[(l+ld)%4])
				for i := range x[l] {
					x[l][i] = rnd.NormFloat64() * math.Pow(10, float64(rnd.IntN(8)-4))
				}
			}
			dst := make([]float64, (h-1)*ld+4)
			b.PowerTo(dst, ld, &x, 1/float64(n))
			for l := range x {
				want := p.PowerTo(nil, x[l], 1/float64(n))
				for k := range want {
					if got := dst[k*ld+l]; math.Float64bits(got) != math.Float64bits(want[k]) {
						t.Fatalf("n=%d ld=%d sequence %d (length %d) k=%d: batch %v, PowerTo %v", n, ld, l, len(x[l]), k, got, want[k])
					}
				}
			}
		}
	}
}

func TestBatchAllocs(t *testing.T) {
	p, _ := NewReal(256)
	b := p.NewBatch()
	x := [4][]float64{make([]float64, 320), make([]float64, 100), make([]float64, 256), make([]float64, 256)}
	dst := make([]float64, 129*4)
	if n := testing.AllocsPerRun(20, func() { b.PowerTo(dst, 4, &x, 1) }); n != 0 {
		t.Errorf("Batch.PowerTo allocates %v times per call", n)
	}
}

// BenchmarkBatch: the power spectra of four sequences per operation.
func BenchmarkBatch(b *testing.B) {
	for _, n := range []int{128, 256, 512} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			p, _ := NewReal(n)
			bt := p.NewBatch()
			var x [4][]float64
			for l := range x {
				x[l] = make([]float64, n)
				for i := range x[l] {
					x[l][i] = math.Sin(float64(i + l))
				}
			}
			dst := make([]float64, 4*(n/2+1))
			b.ReportAllocs()
			b.SetBytes(int64(32 * n))
			for b.Loop() {
				bt.PowerTo(dst, 4, &x, 1)
			}
		})
	}
}
