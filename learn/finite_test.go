package learn

import (
	"math"
	"testing"
)

// TestAllFinite checks allFinite (its AVX-512 blocks and the tail) on
// slices of every length up to 70 with one ±Inf or NaN at each position,
// and the largest finite values, ±0 and subnormals, which are finite.
func TestAllFinite(t *testing.T) {
	edge := []float32{math.MaxFloat32, -math.MaxFloat32, 0, float32(math.Copysign(0, -1)), 0x1p-149, -0x1p-149}
	for n := range 71 {
		x := make([]float32, n)
		for i := range x {
			x[i] = edge[i%len(edge)]
		}
		if !allFinite(x) {
			t.Fatalf("n=%d: finite values reported as not finite", n)
		}
		for i := range n {
			for _, bad := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(0xffc00001)} {
				v := x[i]
				x[i] = bad
				if allFinite(x) {
					t.Fatalf("n=%d: %g at %d not found", n, bad, i)
				}
				x[i] = v
			}
		}
	}
}
