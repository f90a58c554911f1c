//go:build !noasm

package anomaly

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// The assembly kernels against their pure-Go references (gonum's Dgemm, distsGo, sqDist).

func randSlice(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	return x
}

func TestKernelsMatchReference(t *testing.T) {
	if !useAsm {
		t.Skip("CPU without AVX2/FMA: the assembly kernels are not used")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{4, 8, 12, 36, 100} {
		x, y := randSlice(r, n), randSlice(r, n)
		if got, want := sqDistAVX(&x[0], &y[0], n), sqDist(x, y); !near(got, want, 1e-13) {
			t.Errorf("sqDistAVX n=%d: %v, want %v", n, got, want)
		}
	}
	for _, s := range []struct{ m, kp int }{{1, 4}, {33, 32}, {36, 36}, {5, 68}, {17, 8}} {
		x, ct := randSlice(r, s.m), randSlice(r, s.m*s.kp)
		got, want := make([]float64, s.kp), make([]float64, s.kp)
		distsAVX(&got[0], &x[0], &ct[0], s.m, s.kp)
		distsGo(want, x, ct, s.m)
		if !nearSlice(got, want, 1e-13) {
			t.Errorf("distsAVX m=%d kp=%d: %v\nwant %v", s.m, s.kp, got, want)
		}
	}
	for _, n := range []int{4, 8, 36} {
		x, y := randSlice(r, n), randSlice(r, n)
		got, want := make([]float64, n), make([]float64, n)
		scaledDiffAVX(&got[0], &x[0], &y[0], 0.7, n)
		scaledDiffGo(want, x, y, 0.7)
		if !nearSlice(got, want, 1e-15) {
			t.Errorf("scaledDiffAVX n=%d: %v, want %v", n, got, want)
		}
	}
	for _, str := range []int{4, 8, 16, 20, 36, 64} {
		d, u := randSlice(r, str), randSlice(r, str*str)
		for i := 0; i < str; i++ {
			for j := 0; j < i; j++ {
				u[i*str+j] = 0
			}
		}
		if got, want := triQuadAVX(&d[0], &u[0], str), triQuadGo(d, u); !near(got, want, 1e-12) {
			t.Errorf("triQuadAVX str=%d: %v, want %v", str, got, want)
		}
	}
	for _, s := range []struct{ rows, cols, depth int }{{4, 4, 1}, {4, 8, 3}, {8, 12, 33}, {128, 36, 36}, {36, 36, 128}, {12, 20, 7}} {
		for _, trans := range []bool{false, true} {
			for _, upper := range []bool{false, true} {
				if trans && upper {
					continue
				}
				lda := s.depth + 3
				ars, ats := lda, 1
				if trans {
					lda = s.rows + 1
					ars, ats = 1, lda
				}
				arows := s.rows
				if trans {
					arows = s.depth
				}
				a := randSlice(r, arows*lda)
				ldb := s.cols + 2
				b := randSlice(r, s.depth*ldb)
				if upper {
					for tt := 0; tt < s.depth; tt++ {
						for j := 0; j < s.cols && j < tt; j++ {
							b[tt*ldb+j] = 0
						}
					}
				}
				ldc := s.cols + 1
				c0 := randSlice(r, s.rows*ldc)
				got := append([]float64(nil), c0...)
				want := append([]float64(nil), c0...)
				gemmAsm(s.rows, s.cols, s.depth, a, ars, ats, b, ldb, got, ldc, upper, false)
				tA := blas.NoTrans
				if trans {
					tA = blas.Trans
				}
				blasImpl.Dgemm(tA, blas.NoTrans, s.rows, s.cols, s.depth, 1, a, lda, b, ldb, 1, want, ldc)
				if !nearSlice(got, want, 1e-12) {
					t.Errorf("gemmAsm %+v trans=%v upper=%v differs from Dgemm", s, trans, upper)
				}
				// Only the upper triangle of c.
				got = append(got[:0], c0...)
				gemmAsm(s.rows, s.cols, s.depth, a, ars, ats, b, ldb, got, ldc, upper, true)
				for i := 0; i < s.rows; i++ {
					for j := i; j < s.cols; j++ {
						if !near(got[i*ldc+j], want[i*ldc+j], 1e-12) {
							t.Fatalf("gemmAsm %+v upperOnly: c[%d][%d] = %v, want %v", s, i, j, got[i*ldc+j], want[i*ldc+j])
						}
					}
				}
			}
		}
	}
}

// TestFitsWithoutAssembly checks that the pure-Go paths give the same models up to rounding.
func TestFitsWithoutAssembly(t *testing.T) {
	if !useAsm {
		t.Skip("the assembly kernels are not used on this CPU")
	}
	var ref lloydRef
	readJSON(t, "kmeans_lloyd.json", &ref)
	X := dense(ref.X)
	fit := func() (*KMeans, *GMM) {
		km, err := FitKMeans(t.Context(), KMeansConfig{ClusterCount: 8}, X, 5)
		if err != nil {
			t.Fatal(err)
		}
		g, err := FitGMM(t.Context(), GMMConfig{ClusterCount: 3}, X, 5)
		if err != nil {
			t.Fatal(err)
		}
		return km, g
	}
	km1, g1 := fit()
	useAsm = false
	defer func() { useAsm = true }()
	km2, g2 := fit()
	if !near(km1.inertia, km2.inertia, 1e-9) || !nearSlice(km1.centers, km2.centers, 1e-9) {
		t.Errorf("K-means: inertia %v with assembly, %v without", km1.inertia, km2.inertia)
	}
	if !near(g1.lowerBound, g2.lowerBound, 1e-9) || !nearSlice(g1.covs, g2.covs, 1e-8) {
		t.Errorf("GMM: lower bound %v with assembly, %v without", g1.lowerBound, g2.lowerBound)
	}
}
