package learn

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// blobs returns n windows of f features in k Gaussian clusters (σ = spread) with
// labels, deterministic in seed.
func blobs(n, f, k int, spread float64, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 99))
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, f)
		for j := range centres[c] {
			centres[c][j] = rng.NormFloat64() * 2
		}
	}
	X := mat.NewDense(n, f, nil)
	y := make([]int, n)
	labels := make([]string, k)
	for c := range labels {
		labels[c] = string(rune('a' + c))
	}
	for i := range n {
		c := i % k
		y[i] = c
		for j := range f {
			X.Set(i, j, centres[c][j]+rng.NormFloat64()*spread)
		}
	}
	return Dataset{X: X, Y: y, Labels: labels}
}

func ptr[T any](v T) *T { return &v }

func close32(a, b, abs, rel float64) bool {
	return math.Abs(a-b) <= abs+rel*math.Max(math.Abs(a), math.Abs(b))
}
