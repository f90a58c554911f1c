package metrics

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func BenchmarkEvaluateClassification(b *testing.B) {
	const c = 5
	for _, n := range []int{100, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			actual := make([]int, n)
			scores := mat.NewDense(n, c, nil)
			for i := range actual {
				actual[i] = rng.IntN(c)
				for j := 0; j < c; j++ {
					scores.Set(i, j, rng.Float64())
				}
				scores.Set(i, actual[i], scores.At(i, actual[i])+0.5)
			}
			labels := []string{"a", "b", "c", "d", "e"}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EvaluateClassification(labels, actual, scores); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
