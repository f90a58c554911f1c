package anomaly

import (
	"bytes"
	"context"
	"math"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

func TestFitGMMErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := benchData(40, 3)
	inf := mat.DenseCopyOf(good)
	inf.Set(3, 1, math.Inf(-1))
	huge := mat.DenseCopyOf(good)
	huge.Scale(1e160, huge)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		cfg    GMMConfig
		x      *mat.Dense
		target any
	}{
		{"empty", ctx, GMMConfig{}, &mat.Dense{}, ErrNoData},
		{"fewer windows than components", ctx, GMMConfig{ClusterCount: 41}, good, ErrTooFewWindows},
		{"negative regCovar", ctx, GMMConfig{RegCovar: -1}, good, new(*ConfigError)},
		{"negative iterations", ctx, GMMConfig{MaxIterations: -3}, good, new(*ConfigError)},
		{"bad axes", ctx, GMMConfig{Axes: []int{-1}}, good, new(*ConfigError)},
		{"infinite feature", ctx, GMMConfig{}, inf, new(*DataError)},
		{"cancelled", cancelled, GMMConfig{}, good, context.Canceled},
	} {
		_, err := FitGMM(tc.ctx, tc.cfg, tc.x, 1)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !isError(err, tc.target) {
			t.Errorf("%s: error %q is not a %T", tc.name, err, tc.target)
		}
	}
	// Values whose squares overflow cannot be fitted: an error, not a panic or a NaN model.
	if g, err := FitGMM(ctx, GMMConfig{ClusterCount: 2}, huge, 1); err == nil {
		t.Errorf("features of 1e160: no error (lower bound %v)", g.LowerBound())
	}
}

// One component is the maximum-likelihood Gaussian: the sample mean and the population
// covariance (plus regCovar), and its log-likelihood is the multivariate normal log-density,
// here computed with gonum's Cholesky factorisation.
func TestGMMOneComponent(t *testing.T) {
	t.Parallel()
	for _, m := range []int{4, 66} { // 66 features take the path without the stack buffer
		testGMMOneComponent(t, benchData(500, m))
	}
}

func testGMMOneComponent(t *testing.T, x *mat.Dense) {
	g, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 1}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	n, m := x.Dims()
	mean := make([]float64, m)
	for j := range mean {
		mean[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, x, nil)
	cov.ScaleSym(float64(n-1)/float64(n), &cov) // population
	for i := 0; i < m; i++ {
		cov.SetSym(i, i, cov.At(i, i)+1e-6)
	}
	if !nearSlice(g.means, mean, 1e-10) {
		t.Errorf("mean %v, want %v", g.means, mean)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < m; j++ {
			if !near(g.covs[i*m+j], cov.At(i, j), 1e-10) {
				t.Fatalf("covariance[%d][%d] = %v, want %v", i, j, g.covs[i*m+j], cov.At(i, j))
			}
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(&cov) {
		t.Fatal("covariance not positive definite")
	}
	logProb := func(x []float64) float64 {
		d := make([]float64, m)
		for j := range d {
			d[j] = x[j] - mean[j]
		}
		var y mat.VecDense
		if err := chol.SolveVecTo(&y, mat.NewVecDense(m, d)); err != nil {
			t.Fatal(err)
		}
		return -0.5 * (float64(m)*math.Log(2*math.Pi) + chol.LogDet() + mat.Dot(&y, mat.NewVecDense(m, d)))
	}
	ll := make([]float64, n)
	for i := range ll {
		row := x.RawRowView(i)
		ll[i] = logProb(row)
		if got := g.LogLikelihood(row); !near(got, ll[i], 1e-10) {
			t.Fatalf("row %d: log-likelihood %v, want %v", i, got, ll[i])
		}
	}
	mu, sd := stat.PopMeanStdDev(ll, nil)
	if !near(g.llMean, mu, 1e-10) || !near(g.llScale, sd, 1e-10) {
		t.Errorf("log-likelihood scaler %v %v, want %v %v", g.llMean, g.llScale, mu, sd)
	}
	probe := x.RawRowView(0)
	for j := range probe {
		probe[j] += float64(j%3) - 1
	}
	if got, want := g.Score(probe), math.Abs((logProb(probe)-mu)/sd); !near(got, want, 1e-10) {
		t.Errorf("score %v, want %v", got, want)
	}
}

func TestFitGMMDeterministic(t *testing.T) {
	x := benchData(2500, 6)
	fit := func(seed uint64) []byte {
		g, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 4}, x, seed)
		if err != nil {
			t.Fatal(err)
		}
		b, err := g.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := fit(9)
	if !bytes.Equal(a, fit(9)) {
		t.Error("two fits with the same seed differ")
	}
	prev := runtime.GOMAXPROCS(1)
	single := fit(9)
	runtime.GOMAXPROCS(prev)
	if !bytes.Equal(a, single) {
		t.Error("the fit depends on the number of CPUs")
	}
}

func TestGMMDegenerate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A constant column: its variance is regCovar, the fit succeeds and scores are finite.
	x := benchData(300, 3)
	c := mat.NewDense(300, 4, nil)
	for i := 0; i < 300; i++ {
		c.SetRow(i, append(x.RawRowView(i)[:3:3], 2.5))
	}
	g, err := FitGMM(ctx, GMMConfig{ClusterCount: 3}, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 3; k++ {
		if v := g.covs[k*16+15]; !near(v, 1e-6, 1e-9) {
			t.Errorf("component %d: variance of the constant column %v, want regCovar", k, v)
		}
	}
	if s := g.Score(c.RawRowView(5)); math.IsNaN(s) || math.IsInf(s, 0) {
		t.Errorf("score %v", s)
	}
	// Duplicated windows: components collapse onto points; still a model, not an error.
	dup := mat.NewDense(8, 2, []float64{1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4})
	if _, err := FitGMM(ctx, GMMConfig{ClusterCount: 2}, dup, 1); err != nil {
		t.Errorf("duplicated windows: %v", err)
	}
	// All windows identical: every training log-likelihood is the same, scale falls back to 1.
	same := mat.NewDense(5, 2, []float64{3, 3, 3, 3, 3, 3, 3, 3, 3, 3})
	g, err = FitGMM(ctx, GMMConfig{ClusterCount: 1}, same, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g.llScale != 1 {
		t.Errorf("identical windows: log-likelihood scale %v, want 1", g.llScale)
	}
}

func TestGMMThreshold(t *testing.T) {
	t.Parallel()
	x := benchData(400, 3)
	g, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 2}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	ll := make([]float64, 400)
	for i := range ll {
		ll[i] = g.LogLikelihood(x.RawRowView(i))
	}
	// numpy's percentile(ll, 99) by hand: position 0.99·399 = 395.01 in the sorted values.
	s := sorted(ll)
	p99 := s[395] + 0.01*(s[396]-s[395])
	if want := math.Max(0.1, p99); !near(g.DefaultThreshold(), want, 1e-9) || g.Threshold() != g.DefaultThreshold() {
		t.Errorf("default threshold %v (threshold %v), want %v", g.DefaultThreshold(), g.Threshold(), want)
	}
	g2, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 2, MinimumConfidenceRating: 4}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g2.Threshold() != 4 {
		t.Errorf("configured threshold %v, want 4", g2.Threshold())
	}
	g3, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 2, MinimumConfidenceRating: 4,
		Thresholds: []Threshold{{Key: "other", Value: 9}, {Key: ThresholdKey, Value: 0}}}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g3.Threshold() != 0 {
		t.Errorf("threshold from the thresholds list %v, want 0", g3.Threshold())
	}
}

// TestPrecisionCholesky: U·Uᵀ is the inverse of each component's
// covariance, U is upper triangular and Σ ln U_jj = −½ ln det cov.
func TestPrecisionCholesky(t *testing.T) {
	X := mat.NewDense(60, 3, nil)
	for i := range 60 {
		X.Set(i, 0, float64(i%7)+0.1*float64(i))
		X.Set(i, 1, float64((i*3)%5)-0.05*float64(i))
		X.Set(i, 2, float64((i*i)%11)*0.3)
	}
	g, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 2}, X, 1)
	if err != nil {
		t.Fatal(err)
	}
	md := g.GMMMetadata()
	for k := range md.Weights {
		u, logDet := g.PrecisionCholesky(k)
		m := len(md.Covariances[k])
		U := mat.NewDense(m, m, u)
		var prec mat.Dense
		prec.Mul(U, U.T())
		var cov mat.Dense
		cov.Mul(&prec, denseOf(md.Covariances[k]))
		for i := range m {
			for j := range m {
				if i > j && u[i*m+j] != 0 {
					t.Errorf("component %d: U[%d,%d] = %v below the diagonal", k, i, j, u[i*m+j])
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(cov.At(i, j)-want) > 1e-9 {
					t.Errorf("component %d: (U·Uᵀ·cov)[%d,%d] = %v", k, i, j, cov.At(i, j))
				}
			}
		}
		if d := mat.Det(denseOf(md.Covariances[k])); math.Abs(logDet+0.5*math.Log(d)) > 1e-9 {
			t.Errorf("component %d: Σ ln U_jj = %v, −½ ln det cov = %v", k, logDet, -0.5*math.Log(d))
		}
	}
}

func denseOf(rows [][]float64) *mat.Dense {
	d := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		d.SetRow(i, r)
	}
	return d
}
