package anomaly

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestFitKMeansErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := benchData(20, 4)
	nan := mat.DenseCopyOf(good)
	nan.Set(7, 2, math.NaN())
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		cfg    KMeansConfig
		x      *mat.Dense
		target any
	}{
		{"nil matrix", ctx, KMeansConfig{}, nil, ErrNoData},
		{"empty matrix", ctx, KMeansConfig{}, &mat.Dense{}, ErrNoData},
		{"fewer windows than clusters", ctx, KMeansConfig{}, good, ErrTooFewWindows},
		{"negative clusters", ctx, KMeansConfig{ClusterCount: -1}, good, new(*ConfigError)},
		{"axis out of range", ctx, KMeansConfig{ClusterCount: 3, Axes: []int{0, 4}}, good, new(*ConfigError)},
		{"axes not ascending", ctx, KMeansConfig{ClusterCount: 3, Axes: []int{2, 1}}, good, new(*ConfigError)},
		{"NaN tolerance", ctx, KMeansConfig{ClusterCount: 3, Tolerance: math.NaN()}, good, new(*ConfigError)},
		{"infinite threshold", ctx, KMeansConfig{ClusterCount: 3, MinimumConfidenceRating: math.Inf(1)}, good, new(*ConfigError)},
		{"NaN feature", ctx, KMeansConfig{ClusterCount: 3}, nan, new(*DataError)},
		{"cancelled", cancelled, KMeansConfig{ClusterCount: 3}, good, context.Canceled},
	} {
		_, err := FitKMeans(tc.ctx, tc.cfg, tc.x, 1)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !isError(err, tc.target) {
			t.Errorf("%s: error %q is not a %T", tc.name, err, tc.target)
		}
	}
	// A NaN outside the selected axes is not an error.
	if _, err := FitKMeans(ctx, KMeansConfig{ClusterCount: 3, Axes: []int{0, 1, 3}}, nan, 1); err != nil {
		t.Errorf("NaN in an unselected column: %v", err)
	}
	var de *DataError
	if _, err := FitKMeans(ctx, KMeansConfig{ClusterCount: 3}, nan, 1); !errors.As(err, &de) || de.Row != 7 || de.Col != 2 {
		t.Errorf("DataError should name row 7 column 2: %v", err)
	}
}

func TestFitKMeansDeterministic(t *testing.T) {
	x := benchData(3000, 12)
	cfg := KMeansConfig{ClusterCount: 16, Axes: []int{0, 2, 3, 5, 7, 8, 11}}
	fit := func(seed uint64) []byte {
		km, err := FitKMeans(context.Background(), cfg, x, seed)
		if err != nil {
			t.Fatal(err)
		}
		b, err := km.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := fit(42)
	if !bytes.Equal(a, fit(42)) {
		t.Error("two fits with the same seed differ")
	}
	if bytes.Equal(a, fit(43)) {
		t.Error("fits with different seeds are identical")
	}
	prev := runtime.GOMAXPROCS(1)
	single := fit(42)
	runtime.GOMAXPROCS(prev)
	if !bytes.Equal(a, single) {
		t.Error("the fit depends on the number of CPUs")
	}
}

// TestKMeansInertiaVsScikitLearn checks that our best-of-10 k-means is no worse than
// scikit-learn's KMeans(n_init=10) on the same standardised data: the median inertia over
// 20 seeds against scikit-learn's median over random_state 0..19 (both find the same local
// minima, with different random streams).
func TestKMeansInertiaVsScikitLearn(t *testing.T) {
	var ref struct {
		Cases []struct {
			N, M, K int
			Inertia []float64
		}
	}
	readJSON(t, "kmeans_inertia.json", &ref)
	for _, c := range ref.Cases {
		x := benchData(c.N, c.M)
		var ours []float64
		for seed := range uint64(len(c.Inertia)) {
			km, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: c.K}, x, seed)
			if err != nil {
				t.Fatal(err)
			}
			ours = append(ours, km.Inertia())
		}
		mo, ms := median(ours), median(c.Inertia)
		t.Logf("n=%d k=%d: inertia median %.10g (ours, seeds 0-19), %.10g (scikit-learn, random_state 0-19)", c.N, c.K, mo, ms)
		if mo > ms*(1+1e-9) {
			t.Errorf("n=%d k=%d: median inertia %v is worse than scikit-learn's %v", c.N, c.K, mo, ms)
		}
	}
}

func median(v []float64) float64 {
	s := sorted(v)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Degenerate data: constant features, duplicated windows, as many windows as clusters.
func TestFitKMeansDegenerate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// A constant column gets scale 1 and centre coordinate 0, and does not affect scores.
	x := benchData(200, 3)
	withConst := mat.NewDense(200, 4, nil)
	for i := 0; i < 200; i++ {
		withConst.Set(i, 0, x.At(i, 0))
		withConst.Set(i, 1, 7.5)
		withConst.Set(i, 2, x.At(i, 1))
		withConst.Set(i, 3, x.At(i, 2))
	}
	km, err := FitKMeans(ctx, KMeansConfig{ClusterCount: 4}, withConst, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := FitKMeans(ctx, KMeansConfig{ClusterCount: 4, Axes: []int{0, 2, 3}}, withConst, 3)
	if err != nil {
		t.Fatal(err)
	}
	if km.scale[1] != 1 || km.mean[1] != 7.5 {
		t.Errorf("constant column: mean %v scale %v, want 7.5 and 1", km.mean[1], km.scale[1])
	}
	for k := 0; k < 4; k++ {
		if c := km.centers[k*4+1]; c != 0 {
			t.Errorf("cluster %d: constant coordinate %v, want 0", k, c)
		}
	}
	if !near(km.Inertia(), ref.Inertia(), 1e-12) {
		t.Errorf("inertia with a constant column %v, without %v", km.Inertia(), ref.Inertia())
	}
	row := withConst.RawRowView(17)
	if a, b := km.Score(row), ref.Score(row); !near(a, b, 1e-12) {
		t.Errorf("score with a constant column %v, without %v", a, b)
	}

	// Three distinct windows, 5 clusters: 3 clusters hold the windows exactly (maxError 0,
	// score 0 on a training window), the 2 others are empty duplicates with maxError 0.
	dup := mat.NewDense(9, 2, []float64{1, 1, 1, 1, 1, 1, 2, 5, 2, 5, 2, 5, -3, 0, -3, 0, -3, 0})
	km, err = FitKMeans(ctx, KMeansConfig{ClusterCount: 5}, dup, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k, e := range km.maxError {
		if e > 1e-12 {
			t.Errorf("duplicates: cluster %d maxError %v, want 0", k, e)
		}
	}
	if km.Inertia() > 1e-20 {
		t.Errorf("duplicates: inertia %v, want 0", km.Inertia())
	}
	for i := 0; i < 9; i++ {
		if s := km.Score(dup.RawRowView(i)); math.Abs(s) > 1e-12 {
			t.Errorf("duplicates: score of training window %d = %v, want 0", i, s)
		}
	}

	// As many windows as clusters: each window is its own cluster.
	few := benchData(6, 3)
	km, err = FitKMeans(ctx, KMeansConfig{ClusterCount: 6}, few, 1)
	if err != nil {
		t.Fatal(err)
	}
	if km.Inertia() > 1e-20 {
		t.Errorf("n == k: inertia %v, want 0", km.Inertia())
	}
	// A far-away window scores its distance to the nearest centre, capped at 1000 as in the SDK.
	far := []float64{1e6, 1e6, 1e6}
	if s := km.Score(far); s != 1000 {
		t.Errorf("score of a window 1e6 away = %v, want the SDK's cap 1000", s)
	}
}

func TestKMeansScoreByHand(t *testing.T) {
	t.Parallel()
	// Two tight pairs on a line: x = 0, 2 (cluster A, centre 1, maxError 1) and 10, 12
	// (cluster B, centre 11, maxError 1). mean 6, std sqrt(26) (population).
	x := mat.NewDense(4, 1, []float64{0, 2, 10, 12})
	km, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: 2}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(26)
	for _, c := range []struct{ x, want float64 }{
		{1, -1 / sd},      // at centre A: 0 − maxError
		{6, (5 - 1) / sd}, // midway: 5 from both centres
		{-20, (21 - 1) / sd},
		{11.5, (0.5 - 1) / sd},
	} {
		if got := km.Score([]float64{c.x}); !near(got, c.want, 1e-12) {
			t.Errorf("Score(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := km.Score([]float64{math.NaN()}); !math.IsNaN(got) {
		t.Errorf("Score(NaN) = %v, want NaN", got)
	}
}

func TestScoreAllocatesNothing(t *testing.T) {
	x := benchData(500, 9)
	km, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: 8, Inits: 1}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	g, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 3}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	row := x.RawRowView(3)
	for name, m := range map[string]Model{"KMeans": km, "GMM": g} {
		if n := testing.AllocsPerRun(100, func() { m.Score(row) }); n != 0 {
			t.Errorf("%s.Score allocates %v times", name, n)
		}
	}
}

func TestScorePanicsOnWrongLength(t *testing.T) {
	x := benchData(50, 3)
	km, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: 2}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	g, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 2}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]Model{"KMeans": km, "GMM": g} {
		if !panics(func() { m.Score([]float64{1, 2}) }) {
			t.Errorf("%s.Score with 2 features does not panic", name)
		}
	}
}

func panics(fn func()) (p bool) {
	defer func() { p = recover() != nil }()
	fn()
	return false
}

// Wide models (more than 64 axes) take the path that standardises on the fly.
func TestKMeansScoreWide(t *testing.T) {
	x := benchData(400, 70)
	km, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: 4, Inits: 2}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := len(km.axes)
	row := x.RawRowView(11)
	z := make([]float64, m)
	for i := range z {
		z[i] = (row[i] - km.mean[i]) / km.scale[i]
	}
	want := math.Inf(1)
	for k, e := range km.maxError {
		want = math.Min(want, math.Sqrt(sqDist(z, km.centers[k*m:(k+1)*m]))-e)
	}
	if got := km.Score(row); !near(got, want, 1e-12) {
		t.Errorf("wide score %v, want %v", got, want)
	}
}
