package tune

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// observation is a point the search has scored: higher is better; failed
// and stopped trials score below every completed one.
type observation struct {
	p     point
	score float64
}

// sampler proposes points of a compiled space: uniformly at random, or by
// the tree-structured Parzen estimator (TPE; Bergstra, Bardenet, Bengio,
// Kégl, "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011).
//
// TPE splits the observations into the best γ share ("good", at least one,
// at most maxGood) and the rest ("bad"), estimates for every dimension the
// distribution of the values of each set, l(x) and g(x), and proposes
// among points drawn from l the one that maximises l(x)/g(x), the product
// over its active dimensions. The dimensions are independent (as Optuna's
// default TPE), and each estimate only counts the observations in which
// the dimension is active. A categorical dimension's estimate is
//
//	p(v) = (count(v) + w/n) / (N + w)
//
// with n values, N observations and a prior of weight w = 1 spread evenly;
// an ordered (numeric) dimension's is the same with every observation
// spread over neighbouring values by a discrete Gaussian kernel of one
// value's width, K(v, u) = exp(−(v−u)²/2) / Σ_v' exp(−(v'−u)²/2).
//
// The sampler is written here rather than taken from
// github.com/c-bata/goptuna: the module proxy refuses that module
// (403), and the search needs what a study object does not give — a
// tree of conditional choices, proposals filtered by the device estimate
// before anything runs, and proposals that depend only on the trials
// before k−Lag, so that completion order cannot change them.
type sampler struct {
	c *compiled
	// gamma is the good share, maxGood its cap.
	gamma   float64
	maxGood int
	// candidates is the number of points drawn from l per proposal.
	candidates int
	prior      float64
}

func newSampler(c *compiled) *sampler {
	return &sampler{c: c, gamma: 0.2, maxGood: 25, candidates: 24, prior: 1}
}

// random draws a point: a uniform value in every active dimension.
func (s *sampler) random(rng *rand.Rand) point {
	p := make(point, len(s.c.dims))
	for i := range s.c.dims {
		p[i] = -1
		if s.c.active(p, i) {
			p[i] = rng.IntN(len(s.c.dims[i].values))
		}
	}
	return p
}

// split returns the good and bad observations: the nGood best (ties by
// order of observation), then the rest.
func (s *sampler) split(obs []observation) (good, bad []observation) {
	sorted := slices.Clone(obs)
	slices.SortStableFunc(sorted, func(a, b observation) int { return cmp.Compare(b.score, a.score) })
	n := int(math.Ceil(s.gamma * float64(len(sorted))))
	n = max(1, min(n, s.maxGood, len(sorted)))
	return sorted[:n], sorted[n:]
}

// densities returns, for every dimension, the estimated distribution of its
// values over the observations.
func (s *sampler) densities(obs []observation) [][]float64 {
	out := make([][]float64, len(s.c.dims))
	for i, d := range s.c.dims {
		out[i] = s.density(d, i, obs)
	}
	return out
}

// density estimates the distribution of dimension i's values over the
// observations where it is active (see sampler).
func (s *sampler) density(d dim, i int, obs []observation) []float64 {
	n := len(d.values)
	p := make([]float64, n)
	count := 0
	for _, o := range obs {
		u := o.p[i]
		if u < 0 {
			continue
		}
		count++
		if !d.ordered {
			p[u]++
			continue
		}
		k := kernel(n, u)
		for v := range p {
			p[v] += k[v]
		}
	}
	total := float64(count) + s.prior
	for v := range p {
		p[v] = (p[v] + s.prior/float64(n)) / total
	}
	return p
}

// kernel returns the discrete Gaussian kernel of width one value centred
// on u over n values, normalised to sum to 1.
func kernel(n, u int) []float64 {
	k := make([]float64, n)
	sum := 0.0
	for v := range k {
		x := float64(v - u)
		k[v] = math.Exp(-x * x / 2)
		sum += k[v]
	}
	for v := range k {
		k[v] /= sum
	}
	return k
}

// draw samples a point from per-dimension distributions.
func (s *sampler) draw(rng *rand.Rand, dens [][]float64) point {
	p := make(point, len(s.c.dims))
	for i := range s.c.dims {
		p[i] = -1
		if s.c.active(p, i) {
			p[i] = pick(rng, dens[i])
		}
	}
	return p
}

// pick draws an index with the given probabilities.
func pick(rng *rand.Rand, prob []float64) int {
	r := rng.Float64()
	acc := 0.0
	for i, q := range prob {
		acc += q
		if r < acc {
			return i
		}
	}
	return len(prob) - 1
}

// logRatio returns Σ log l(v) − log g(v) over the active dimensions of p.
func logRatio(p point, l, g [][]float64) float64 {
	r := 0.0
	for i, v := range p {
		if v >= 0 {
			r += math.Log(l[i][v]) - math.Log(g[i][v])
		}
	}
	return r
}

// tpe proposes a point that accept takes, from the observations: it draws
// s.candidates points from the good observations' distributions and
// returns the accepted one with the highest l/g, trying further batches
// while none is accepted, up to tries batches. ok is false when no
// accepted point was drawn.
func (s *sampler) tpe(rng *rand.Rand, obs []observation, tries int, accept func(point) bool) (best point, ok bool) {
	good, bad := s.split(obs)
	l, g := s.densities(good), s.densities(bad)
	bestScore := math.Inf(-1)
	for range tries {
		for range s.candidates {
			p := s.draw(rng, l)
			r := logRatio(p, l, g)
			if r > bestScore && accept(p) {
				best, bestScore, ok = p, r, true
			}
		}
		if ok {
			return best, true
		}
	}
	return nil, false
}
