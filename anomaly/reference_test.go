package anomaly

import (
	"context"
	"math"
	"testing"
)

// The figures in testdata/anomaly come from scikit-learn and numpy; make_reference.py there
// says how each was computed.

func TestBenchDataMatchesPython(t *testing.T) {
	var ref struct {
		N, M   int
		Rows   []int
		Values [][]float64
	}
	readJSON(t, "benchdata_head.json", &ref)
	x := benchData(ref.N, ref.M)
	for i, r := range ref.Rows {
		if got := x.RawRowView(r); !nearSlice(got, ref.Values[i], 1e-12) {
			t.Errorf("row %d: got %v\nwant %v", r, got[:4], ref.Values[i][:4])
		}
	}
}

type lloydRef struct {
	X        [][]float64
	Init     [][]float64
	K        int
	Mean     []float64
	Scale    []float64
	Centers  [][]float64
	Labels   []int32
	Inertia  float64
	NIter    int       `json:"n_iter"`
	MaxError []float64 `json:"max_error"`
	Probes   [][]float64
	Scores   []float64
}

func TestKMeansMatchesScikitLearn(t *testing.T) {
	var ref lloydRef
	readJSON(t, "kmeans_lloyd.json", &ref)
	X := dense(ref.X)
	axes, err := checkAxes(nil, len(ref.X[0]))
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		d, err := selectAxes(X, axes)
		if err != nil {
			t.Fatal(err)
		}
		mean, scale := standardise(d)
		if !nearSlice(mean, ref.Mean, 1e-12) || !nearSlice(scale, ref.Scale, 1e-12) {
			t.Fatalf("standardisation: mean %v scale %v\nwant mean %v scale %v", mean, scale, ref.Mean, ref.Scale)
		}
		p := newKmeansProblem(d, ref.K, 300, 1e-4)
		init := make([]float64, ref.K*d.str)
		for j, c := range ref.Init {
			copy(init[j*d.str:], c)
		}
		res, err := newKmState(p, workers).lloyd(context.Background(), init)
		if err != nil {
			t.Fatal(err)
		}
		if res.iters != ref.NIter {
			t.Errorf("workers %d: %d iterations, scikit-learn %d", workers, res.iters, ref.NIter)
		}
		for i, l := range res.labels {
			if l != ref.Labels[i] {
				t.Fatalf("workers %d: label of row %d = %d, scikit-learn %d", workers, i, l, ref.Labels[i])
			}
		}
		if !near(res.inertia, ref.Inertia, 1e-10) {
			t.Errorf("workers %d: inertia %v, scikit-learn %v", workers, res.inertia, ref.Inertia)
		}
		km := newKMeans(d.m, axes, 0.3, d, mean, scale, res)
		if !nearSlice(km.centers, flatten(ref.Centers), 1e-10) {
			t.Errorf("workers %d: centres differ\ngot  %v\nwant %v", workers, km.centers[:5], ref.Centers[0])
		}
		if !nearSlice(km.maxError, ref.MaxError, 1e-10) {
			t.Errorf("workers %d: maxError %v\nwant %v", workers, km.maxError, ref.MaxError)
		}
		for i, x := range ref.Probes {
			if got := km.Score(x); !near(got, ref.Scores[i], 1e-9) {
				t.Errorf("workers %d: score of probe %d = %v, numpy %v", workers, i, got, ref.Scores[i])
			}
		}
	}
}

type gmmRef struct {
	X      [][]float64
	K      int
	Labels []int32
	Probes [][]float64
	Runs   []struct {
		Name        string
		Tol         float64
		MaxIter     int `json:"max_iter"`
		NIter       int `json:"n_iter"`
		Converged   bool
		LowerBound  float64 `json:"lower_bound"`
		Weights     []float64
		Means       [][]float64
		Covariances [][][]float64
		LL          []float64
		LLMean      float64 `json:"ll_mean"`
		LLScale     float64 `json:"ll_scale"`
		P99         float64
		ProbeLL     []float64 `json:"probe_ll"`
		ProbeScores []float64 `json:"probe_scores"`
	}
}

func TestGMMMatchesScikitLearn(t *testing.T) {
	var ref gmmRef
	readJSON(t, "gmm_em.json", &ref)
	X := dense(ref.X)
	axes, err := checkAxes(nil, len(ref.X[0]))
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range ref.Runs {
		for _, workers := range []int{1, 2} {
			d, err := selectAxes(X, axes)
			if err != nil {
				t.Fatal(err)
			}
			shift, _ := d.meanVar()
			d.shift(shift, nil)
			em := newEMState(d, ref.K, 1e-6, workers)
			iters, conv, lb, err := em.em(context.Background(), ref.Labels, run.MaxIter, run.Tol)
			if err != nil {
				t.Fatal(err)
			}
			name := run.Name
			if iters != run.NIter || conv != run.Converged {
				t.Errorf("%s: %d iterations (converged %v), scikit-learn %d (%v)", name, iters, conv, run.NIter, run.Converged)
			}
			if !near(lb, run.LowerBound, 1e-10) {
				t.Errorf("%s: lower bound %v, scikit-learn %v", name, lb, run.LowerBound)
			}
			g, err := newGMM(d.m, axes, shift, em)
			if err != nil {
				t.Fatal(err)
			}
			var covs []float64
			for _, c := range run.Covariances {
				covs = append(covs, flatten(c)...)
			}
			if !nearSlice(g.weights, run.Weights, 1e-8) || !nearSlice(g.means, flatten(run.Means), 1e-8) || !nearSlice(g.covs, covs, 1e-8) {
				t.Errorf("%s: parameters differ: weights %v, scikit-learn %v", name, g.weights, run.Weights)
			}
			for i, x := range ref.X {
				if got := g.LogLikelihood(x); !near(got, run.LL[i], 1e-9) {
					t.Fatalf("%s: log-likelihood of row %d = %v, scikit-learn %v", name, i, got, run.LL[i])
				}
			}
			if !near(g.llMean, run.LLMean, 1e-10) || !near(g.llScale, run.LLScale, 1e-10) {
				t.Errorf("%s: scaler %v %v, scikit-learn %v %v", name, g.llMean, g.llScale, run.LLMean, run.LLScale)
			}
			if want := math.Max(0.1, run.P99); !near(g.defaultThreshold, want, 1e-10) {
				t.Errorf("%s: default threshold %v, numpy %v", name, g.defaultThreshold, want)
			}
			for i, x := range ref.Probes {
				if got := g.LogLikelihood(x); !near(got, run.ProbeLL[i], 1e-9) {
					t.Errorf("%s: log-likelihood of probe %d = %v, scikit-learn %v", name, i, got, run.ProbeLL[i])
				}
				if got := g.Score(x); !near(got, run.ProbeScores[i], 1e-9) {
					t.Errorf("%s: score of probe %d = %v, scikit-learn %v", name, i, got, run.ProbeScores[i])
				}
			}
		}
	}
}
