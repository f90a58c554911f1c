package anomaly

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// This file is the k-means engine shared by the K-means block and the GMM initialisation:
// greedy k-means++ seeding and Lloyd iterations, computed with Hamerly's bounds (G. Hamerly,
// "Making k-means even faster", SDM 2010), which give Lloyd's assignments while skipping
// most distance computations. The k-means++ candidates and the first assignment compute
// distances as matrix products, ‖x‖² − 2x·c + ‖c‖², like scikit-learn. The semantics follow
// scikit-learn's KMeans (algorithm "lloyd"): the same convergence tests, the same relocation
// of empty clusters, a final assignment when stopped by the tolerance, and inertia as the sum
// of squared distances to the assigned centres.

const (
	maxTrials = 32 // k-means++ candidates per centre, 2+⌊ln k⌋ ≤ 15 for k ≤ maxDim
	// prefetchBytes is the data size above which the bounded assignment prefetches rows
	// (below it they mostly sit in cache and the hints cost more than they save).
	prefetchBytes = 4 << 20
	subRows       = 128  // rows per matrix product
	blockRows     = 1024 // rows per partial sum; fixed, so results do not depend on worker count
)

// kmeansProblem is the data and the settings of one k-means fit.
type kmeansProblem struct {
	d       *dataset
	k       int
	maxIter int
	tolAbs  float64   // absolute tolerance on the summed squared centre shift
	xnorm   []float64 // ‖x_i‖²
}

func newKmeansProblem(d *dataset, k, maxIter int, tol float64) *kmeansProblem {
	p := &kmeansProblem{d: d, k: k, maxIter: maxIter}
	_, variance := d.meanVar()
	var mv float64
	for _, v := range variance {
		mv += v
	}
	if d.m > 0 {
		mv /= float64(d.m)
	}
	p.tolAbs = mv * tol
	p.xnorm = make([]float64, d.n)
	for i := range p.xnorm {
		r := d.row(i)
		var s float64
		for _, v := range r {
			s += v * v
		}
		p.xnorm[i] = s
	}
	return p
}

// kmeansResult is a fitted k-means model in the coordinates of the problem's dataset.
type kmeansResult struct {
	centers []float64 // k × d.str
	labels  []int32
	inertia float64
	iters   int
}

// kmeansFit runs inits seeded initialisations (concurrently when there are several) and
// returns the one with the lowest inertia; ties go to the lower initialisation index.
func kmeansFit(ctx context.Context, p *kmeansProblem, inits int, seed uint64) (*kmeansResult, error) {
	workers := maxWorkers()
	results := make([]*kmeansResult, inits)
	errs := make([]error, inits)
	if inits == 1 || workers == 1 {
		for i := range results {
			results[i], errs[i] = p.run(ctx, i, seed, workers)
			if errs[i] != nil {
				return nil, errs[i]
			}
		}
	} else {
		parallel(workers, inits, func(_, i int) { results[i], errs[i] = p.run(ctx, i, seed, 1) })
	}
	best := -1
	for i, r := range results {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if best < 0 || r.inertia < results[best].inertia {
			best = i
		}
	}
	return results[best], nil
}

// run is one initialisation: k-means++ seeding from its own random stream, then Lloyd.
func (p *kmeansProblem) run(ctx context.Context, index int, seed uint64, workers int) (*kmeansResult, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6b6d65616e73^uint64(index)))
	s := newKmState(p, workers)
	centers, err := s.plusplus(ctx, rng)
	if err != nil {
		return nil, err
	}
	return s.lloyd(ctx, centers)
}

// kmState is the working memory of one initialisation.
type kmState struct {
	p       *kmeansProblem
	d       *dataset
	workers int
	k, kp   int // clusters, and clusters padded to a multiple of 4
	nBlocks int

	labels       []int32
	upper, lower []float64 // Hamerly's bounds: distance to the own centre, to the second closest

	sums    []float64 // nBlocks × k × str partial sums of the rows of each cluster
	counts  []float64 // nBlocks × k
	weight  []float64 // k: cluster sizes, summed over the blocks by update
	changed []int     // nBlocks
	prods   [][]float64
	lists   [][]int32 // per worker: rows whose bounds fail

	ct    []float64 // centres transposed, str × kp
	cn    []float64 // ‖c_j‖²
	cnMax float64
	half  []float64 // half the distance from each centre to the nearest other centre
	moves []float64 // distance each centre moved in the last update
	maxMv [2]float64
	argMv int
}

func newKmState(p *kmeansProblem, workers int) *kmState {
	d := p.d
	s := &kmState{p: p, d: d, workers: workers, k: p.k, kp: padded(p.k)}
	s.nBlocks = (d.n + blockRows - 1) / blockRows
	s.labels = make([]int32, d.n)
	s.upper = make([]float64, d.n)
	s.lower = make([]float64, d.n)
	s.sums = make([]float64, s.nBlocks*s.k*d.str)
	s.counts = make([]float64, s.nBlocks*s.k)
	s.weight = make([]float64, s.k)
	s.changed = make([]int, s.nBlocks)
	s.prods = make([][]float64, min(workers, s.nBlocks))
	s.lists = make([][]int32, len(s.prods))
	for w := range s.prods {
		s.prods[w] = make([]float64, subRows*max(s.kp, padded(maxTrials)))
		s.lists[w] = make([]int32, 0, blockRows)
	}
	s.ct = make([]float64, d.str*s.kp)
	s.cn = make([]float64, s.k)
	s.half = make([]float64, s.k)
	s.moves = make([]float64, s.k)
	return s
}

func (s *kmState) block(b int) (lo, hi int) { return b * blockRows, min((b+1)*blockRows, s.d.n) }

// plusplus chooses k initial centres with greedy k-means++ (Arthur & Vassilvitskii 2007, as
// scikit-learn does it): the first uniformly, each next one as the best of 2+⌊ln k⌋
// candidates drawn with probability proportional to the squared distance to the nearest
// centre so far, best meaning the lowest resulting potential. The distances to the
// candidates are computed, as in scikit-learn, as ‖x‖² − 2x·c + ‖c‖² (clamped at 0), with one
// matrix product per block of rows.
func (s *kmState) plusplus(ctx context.Context, rng *rand.Rand) ([]float64, error) {
	d, k, str := s.d, s.k, s.d.str
	n := d.n
	centers := make([]float64, k*str)
	trials := min(2+int(math.Log(float64(k))), maxTrials)
	closest := s.upper // squared distance to the nearest centre so far
	cand := make([][]float64, trials)
	for t := range cand {
		cand[t] = make([]float64, n)
	}
	cum := s.lower
	ids := make([]int, trials)
	tp := padded(trials)
	candT := make([]float64, d.m*tp) // candidates as columns
	cnorm := make([]float64, trials)
	partial := make([]float64, trials*s.nBlocks)
	pots := make([]float64, trials)

	first := rng.IntN(n)
	copy(centers[:str], d.x[first*str:(first+1)*str])
	parallel(s.workers, s.nBlocks, func(_, b int) {
		lo, hi := s.block(b)
		c0 := centers[:str]
		for i := lo; i < hi; i++ {
			closest[i] = dist2(d.prow(i), c0)
		}
	})
	for c := 1; c < k; c++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var acc float64
		for i, v := range closest {
			acc += v
			cum[i] = acc
		}
		for t := range ids {
			r := rng.Float64() * acc
			ids[t] = min(sort.SearchFloat64s(cum, r), n-1)
			var nn float64
			for j, v := range d.row(ids[t]) {
				candT[j*tp+t] = v
				nn += v * v
			}
			cnorm[t] = nn
		}
		clear(partial)
		parallel(s.workers, s.nBlocks, func(w, b int) {
			lo, hi := s.block(b)
			var sum [maxTrials]float64
			prod := s.prods[w][:subRows*tp]
			for r0 := lo; r0 < hi; r0 += subRows {
				rows := min(subRows, hi-r0)
				rows4 := padded(rows)
				clear(prod[:rows4*tp])
				mulAddNN(rows4, tp, d.m, d.x[r0*str:], str, candT, tp, prod, tp, false)
				for i := 0; i < rows; i++ {
					row := r0 + i
					xn, dmin := s.p.xnorm[row], closest[row]
					pr := prod[i*tp : i*tp+trials]
					for t, v := range pr {
						v = max(0, xn-2*v+cnorm[t])
						v = min(v, dmin)
						cand[t][row] = v
						sum[t] += v
					}
				}
			}
			for t := range trials {
				partial[t*s.nBlocks+b] = sum[t]
			}
		})
		best := 0
		for t := range pots {
			var sum float64
			for _, v := range partial[t*s.nBlocks : (t+1)*s.nBlocks] {
				sum += v
			}
			pots[t] = sum
			if sum < pots[best] {
				best = t
			}
		}
		copy(centers[c*str:(c+1)*str], d.x[ids[best]*str:(ids[best]+1)*str])
		copy(closest, cand[best])
	}
	return centers, nil
}

// prepare computes what the assignment step needs from the centres.
func (s *kmState) prepare(centers []float64) {
	d, k, str, kp := s.d, s.k, s.d.str, s.kp
	clear(s.ct)
	s.cnMax = 0
	for j := 0; j < k; j++ {
		c := centers[j*str : j*str+d.m]
		var nn float64
		for t, v := range c {
			s.ct[t*kp+j] = v
			nn += v * v
		}
		s.cn[j] = nn
		s.cnMax = max(s.cnMax, nn)
	}
	for j := 0; j < k; j++ {
		h := math.Inf(1)
		for l := 0; l < k; l++ {
			if l != j {
				h = min(h, dist2(centers[j*str:(j+1)*str], centers[l*str:]))
			}
		}
		s.half[j] = 0.5 * math.Sqrt(h)
	}
}

// assign labels every row with its nearest centre and keeps the per-block sums and counts
// of the clusters up to date. The full assignment computes all distances by matrix
// products and the sums from scratch; the bounded one uses Hamerly's bounds, updated by the
// last moves, and moves the rows whose label changed from one sum to the other. It returns
// the number of labels that changed (0 for the full assignment).
func (s *kmState) assign(centers []float64, full bool) (changed int) {
	parallel(s.workers, s.nBlocks, func(w, b int) {
		lo, hi := s.block(b)
		if full {
			s.assignFull(w, lo, hi, centers)
			s.accumulate(b, lo, hi)
		} else {
			s.changed[b] = s.assignBounded(w, b, centers)
		}
	})
	for _, c := range s.changed {
		changed += c
	}
	return changed
}

func (s *kmState) assignFull(w, lo, hi int, centers []float64) {
	d, k, kp, str := s.d, s.k, s.kp, s.d.str
	prod := s.prods[w]
	for r0 := lo; r0 < hi; r0 += subRows {
		rows := min(subRows, hi-r0)
		rows4 := padded(rows) // the dataset has zero rows up to a multiple of 4
		clear(prod[:rows4*kp])
		mulAddNN(rows4, kp, d.m, d.x[r0*str:], str, s.ct, kp, prod, kp, false)
		for i := 0; i < rows; i++ {
			pr := prod[i*kp : i*kp+k]
			best, second := math.Inf(1), math.Inf(1)
			bi := 0
			for j, v := range pr {
				v = s.cn[j] - 2*v
				if v < best {
					second = best
					best = v
					bi = j
				} else if v < second {
					second = v
				}
			}
			row := r0 + i
			xn := s.p.xnorm[row]
			s.labels[row] = int32(bi)
			s.upper[row] = math.Sqrt(dist2(d.prow(row), centers[bi*str:]))
			s.lower[row] = math.Sqrt(max(0, second+xn-1e-12*(xn+s.cnMax)))
		}
	}
}

func (s *kmState) assignBounded(w, b int, centers []float64) (changed int) {
	d, k, str := s.d, s.k, s.d.str
	dist := s.prods[w][:s.kp]
	lo, hi := s.block(b)
	sums := s.sums[b*k*str : (b+1)*k*str]
	counts := s.counts[b*k : (b+1)*k]
	// First the bounds of every row, listing the rows they do not settle; then those rows,
	// prefetching a few ahead (the rows are what costs here: they come from memory).
	list := s.lists[w][:0]
	for i := lo; i < hi; i++ {
		a := s.labels[i]
		u := s.upper[i] + s.moves[a]
		l := s.lower[i]
		if int(a) == s.argMv {
			l -= s.maxMv[1]
		} else {
			l -= s.maxMv[0]
		}
		s.upper[i] = u
		s.lower[i] = l
		if u > max(l, s.half[a]) {
			list = append(list, int32(i))
		}
	}
	const ahead = 8
	fetch := len(d.x) > prefetchBytes/8
	for j, i32 := range list {
		if fetch && j+ahead < len(list) {
			prefetch(d.prow(int(list[j+ahead])))
		}
		i := int(i32)
		a := s.labels[i]
		z := max(s.lower[i], s.half[a])
		x := d.prow(i)
		u := math.Sqrt(dist2(x, centers[int(a)*str:]))
		s.upper[i] = u
		if u <= z {
			continue
		}
		best, second := math.Inf(1), math.Inf(1)
		bi := 0
		dists(dist, x, s.ct, d.m)
		for j, v := range dist[:k] {
			if v < best {
				second = best
				best = v
				bi = j
			} else if v < second {
				second = v
			}
		}
		if int32(bi) != a {
			changed++
			s.labels[i] = int32(bi)
			counts[a]--
			counts[bi]++
			from, to := sums[int(a)*str:(int(a)+1)*str], sums[bi*str:(bi+1)*str]
			for t, v := range x {
				from[t] -= v
				to[t] += v
			}
		}
		s.upper[i] = math.Sqrt(best)
		s.lower[i] = math.Sqrt(second)
	}
	s.lists[w] = list
	return changed
}

func (s *kmState) accumulate(b, lo, hi int) {
	d, k, str := s.d, s.k, s.d.str
	sums := s.sums[b*k*str : (b+1)*k*str]
	counts := s.counts[b*k : (b+1)*k]
	clear(sums)
	clear(counts)
	for i := lo; i < hi; i++ {
		a := int(s.labels[i])
		counts[a]++
		dst := sums[a*str : a*str+d.m]
		for j, v := range d.row(i) {
			dst[j] += v
		}
	}
}

// update computes the new centres from the block sums into dst, relocating empty clusters
// as scikit-learn does, and records how far each centre moved. It returns the summed
// squared movement.
func (s *kmState) update(dst, old []float64) float64 {
	d, k, str := s.d, s.k, s.d.str
	clear(dst)
	weight := s.weight
	clear(weight)
	for b := 0; b < s.nBlocks; b++ {
		sums := s.sums[b*k*str : (b+1)*k*str]
		for j, v := range sums {
			dst[j] += v
		}
		for j, v := range s.counts[b*k : (b+1)*k] {
			weight[j] += v
		}
	}
	var empty []int
	for j, w := range weight {
		if w == 0 {
			empty = append(empty, j)
		}
	}
	if len(empty) > 0 {
		s.relocate(dst, old, weight, empty)
	}
	for j := 0; j < k; j++ {
		if weight[j] > 0 {
			inv := 1 / weight[j]
			c := dst[j*str : j*str+d.m]
			for t := range c {
				c[t] *= inv
			}
		}
	}
	var shift float64
	s.maxMv = [2]float64{}
	s.argMv = -1
	for j := 0; j < k; j++ {
		mv2 := dist2(dst[j*str:(j+1)*str], old[j*str:])
		shift += mv2
		mv := math.Sqrt(mv2)
		s.moves[j] = mv
		if mv > s.maxMv[0] || s.argMv < 0 {
			s.maxMv[1] = s.maxMv[0]
			s.maxMv[0] = mv
			s.argMv = j
		} else if mv > s.maxMv[1] {
			s.maxMv[1] = mv
		}
	}
	return shift
}

// relocate moves each empty cluster onto one of the points farthest from their (old)
// centres, taking the point's contribution out of its own cluster's sum; labels are left as
// they are, as in scikit-learn.
func (s *kmState) relocate(sums, old, weight []float64, empty []int) {
	d, str := s.d, s.d.str
	dist := make([]float64, d.n)
	parallel(s.workers, s.nBlocks, func(_, b int) {
		lo, hi := s.block(b)
		for i := lo; i < hi; i++ {
			dist[i] = dist2(d.prow(i), old[int(s.labels[i])*str:])
		}
	})
	idx := make([]int, d.n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case dist[a] > dist[b]:
			return -1
		case dist[a] < dist[b]:
			return 1
		}
		return 0
	})
	for e, j := range empty {
		far := idx[e]
		from := int(s.labels[far])
		x := d.row(far)
		for t, v := range x {
			sums[from*str+t] -= v
			sums[j*str+t] = v
		}
		weight[j] = 1
		weight[from]--
	}
}

// lloyd iterates from the given centres until the labels stop changing, the centres move
// less than the tolerance, or maxIter iterations have run.
func (s *kmState) lloyd(ctx context.Context, centers []float64) (*kmeansResult, error) {
	p := s.p
	next := make([]float64, len(centers))
	strict := false
	iters := 0
	for it := 0; it < p.maxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.prepare(centers)
		changed := s.assign(centers, it == 0)
		shift := s.update(next, centers)
		centers, next = next, centers
		iters = it + 1
		if it > 0 && changed == 0 {
			strict = true
			break
		}
		if shift <= p.tolAbs {
			break
		}
	}
	if !strict {
		s.prepare(centers)
		s.assign(centers, iters == 0)
	}
	res := &kmeansResult{centers: centers, labels: s.labels, iters: iters}
	res.inertia = s.inertia(centers)
	return res, nil
}

// inertia is the sum of squared distances from the rows to their centres, in block order.
func (s *kmState) inertia(centers []float64) float64 {
	d, str := s.d, s.d.str
	part := make([]float64, s.nBlocks)
	parallel(s.workers, s.nBlocks, func(_, b int) {
		lo, hi := s.block(b)
		var sum float64
		for i := lo; i < hi; i++ {
			sum += dist2(d.prow(i), centers[int(s.labels[i])*str:])
		}
		part[b] = sum
	})
	var sum float64
	for _, v := range part {
		sum += v
	}
	return sum
}
