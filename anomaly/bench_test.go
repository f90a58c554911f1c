package anomaly

import (
	"context"
	"flag"
	"fmt"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var benchSeed = flag.Uint64("benchseed", 0, "seed of the first fit in the fit benchmarks")

// The scikit-learn figures to compare with come from testdata/anomaly/bench_sklearn.py on
// the same data (benchData) and settings; see testdata/anomaly/README.md.

// benchFit times fit on benchData(n, 33) for n = 5,000 and 50,000 (sub-benchmarks
// "n=<n>/<name>"), each call with the next seed from -benchseed on.
func benchFit(b *testing.B, name string, fit func(x *mat.Dense, seed uint64) error) {
	for _, n := range []int{5000, 50000} {
		x := benchData(n, 33)
		b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
			b.ReportAllocs()
			seed := *benchSeed
			for b.Loop() {
				if err := fit(x, seed); err != nil {
					b.Fatal(err)
				}
				seed++
			}
		})
	}
}

func BenchmarkFitKMeans(b *testing.B) {
	benchFit(b, "k=32", func(x *mat.Dense, seed uint64) error {
		_, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: 32}, x, seed)
		return err
	})
}

func BenchmarkFitKMeansSingleInit(b *testing.B) {
	benchFit(b, "k=32", func(x *mat.Dense, seed uint64) error {
		_, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: 32, Inits: 1}, x, seed)
		return err
	})
}

func BenchmarkFitGMM(b *testing.B) {
	benchFit(b, "components=8", func(x *mat.Dense, seed uint64) error {
		_, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 8}, x, seed)
		return err
	})
}

func BenchmarkScore(b *testing.B) {
	x := benchData(5000, 33)
	km, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: 32, Inits: 1}, x, 1)
	if err != nil {
		b.Fatal(err)
	}
	g, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 8}, x, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		name string
		m    interface{ Score([]float64) float64 }
	}{{"KMeans/k=32", km}, {"GMM/components=8", g}} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			var sink float64
			for b.Loop() {
				sink += s.m.Score(x.RawRowView(i % 5000))
				i++
			}
			_ = sink
		})
	}
}

// BenchmarkEMIteration times one E-step and M-step of the GMM fit (8 components, 33
// features), with one worker.
func BenchmarkEMIteration(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		x := benchData(n, 33)
		axes, err := checkAxes(nil, 33)
		if err != nil {
			b.Fatal(err)
		}
		d, err := selectAxes(x, axes)
		if err != nil {
			b.Fatal(err)
		}
		shift, _ := d.meanVar()
		d.shift(shift, nil)
		km, err := kmeansFit(context.Background(), newKmeansProblem(d, 8, 300, 1e-4), 1, 1)
		if err != nil {
			b.Fatal(err)
		}
		em := newEMState(d, 8, 1e-6, 1)
		if _, _, _, err := em.em(context.Background(), km.labels, 1, 1e-3); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				parallel(1, em.nBlocks, func(w, blk int) { em.eStep(w, blk, nil) })
				if err := em.mStep(false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
