package anomaly

import (
	"context"
	"fmt"
	"math"
)

// This file fits a full-covariance Gaussian mixture by expectation–maximisation, with the
// semantics of scikit-learn's GaussianMixture(covariance_type="full"): responsibilities in
// log space, component sizes nk = Σ resp + 10·eps, reg_covar added to every covariance's
// diagonal, the precision Cholesky factor U = (L⁻¹)ᵀ with cov = L·Lᵀ, and convergence when
// the mean log-likelihood changes by less than the tolerance between two iterations.

var ln2pi = math.Log(2 * math.Pi)

// emState is the working memory of one EM fit on a (centred) dataset.
type emState struct {
	d       *dataset
	K, Kp   int
	reg     float64
	workers int
	nBlocks int

	weights []float64 // K
	logW    []float64 // K
	means   []float64 // Kp × str
	covs    []float64 // K × m × m
	u       []float64 // K × str × str, precision Cholesky factors (upper triangular, zero padded)
	muU     []float64 // K × str, μ_kᵀ·U_k
	logDet  []float64 // K
	resp    []float64 // padded(n) × Kp, zero outside the real rows and components

	lse  []float64 // nBlocks: Σ log p(x) per block
	nk   []float64 // nBlocks × Kp
	nkK  []float64 // K: component sizes, summed over the blocks by mStep
	msum []float64 // nBlocks × Kp × str
	csum []float64 // nBlocks × K × str × str

	scratch []emScratch
	chol    []float64
}

type emScratch struct{ y, w, lp []float64 }

func newEMState(d *dataset, K int, reg float64, workers int) *emState {
	s := &emState{d: d, K: K, Kp: padded(K), reg: reg, workers: workers}
	str, m := d.str, d.m
	s.nBlocks = (d.n + blockRows - 1) / blockRows
	s.weights = make([]float64, K)
	s.logW = make([]float64, K)
	s.means = make([]float64, s.Kp*str)
	s.covs = make([]float64, K*m*m)
	s.u = make([]float64, K*str*str)
	s.muU = make([]float64, K*str)
	s.logDet = make([]float64, K)
	s.resp = make([]float64, padded(d.n)*s.Kp)
	s.lse = make([]float64, s.nBlocks)
	s.nk = make([]float64, s.nBlocks*s.Kp)
	s.nkK = make([]float64, K)
	s.msum = make([]float64, s.nBlocks*s.Kp*str)
	s.csum = make([]float64, s.nBlocks*K*str*str)
	s.scratch = make([]emScratch, min(workers, s.nBlocks))
	for w := range s.scratch {
		s.scratch[w] = emScratch{
			y:  make([]float64, subRows*str),
			w:  make([]float64, subRows*str),
			lp: make([]float64, subRows*K),
		}
	}
	s.chol = make([]float64, m*m)
	return s
}

func (s *emState) block(b int) (lo, hi int) { return b * blockRows, min((b+1)*blockRows, s.d.n) }

// logProb writes ln w_k + ln N(x_i | μ_k, Σ_k) for the rows r0 ≤ i < r0+rows to lp
// (rows × K). The Mahalanobis term ‖(x − μ)ᵀU‖² is computed as ‖xᵀU − μᵀU‖², one matrix
// product per component on the (centred) data, as scikit-learn does.
func (s *emState) logProb(sc *emScratch, r0, rows int, lp []float64) {
	d, str, m, K := s.d, s.d.str, s.d.m, s.K
	rows4 := padded(rows)
	x := d.x[r0*str : (r0+rows4)*str]
	y := sc.y[:rows4*str]
	c := float64(m) * ln2pi
	for k := 0; k < K; k++ {
		clear(y)
		mulAddNN(rows4, str, str, x, str, s.u[k*str*str:], str, y, str, true)
		muU := s.muU[k*str : (k+1)*str]
		for i := 0; i < rows; i++ {
			q := dist2(y[i*str:(i+1)*str], muU)
			lp[i*K+k] = s.logW[k] + s.logDet[k] - 0.5*(c+q)
		}
	}
}

// eStep computes the responsibilities of the rows of block b from the current parameters,
// the block's Σ log p(x), and its partial sums for the M-step (nk and Σ resp·x). With ll
// non-nil it only stores log p(x_i) in ll.
func (s *emState) eStep(w, b int, ll []float64) {
	K, Kp := s.K, s.Kp
	sc := &s.scratch[w]
	lo, hi := s.block(b)
	var sum float64
	for r0 := lo; r0 < hi; r0 += subRows {
		rows := min(subRows, hi-r0)
		lp := sc.lp[:rows*K]
		s.logProb(sc, r0, rows, lp)
		for i := 0; i < rows; i++ {
			row := lp[i*K : (i+1)*K]
			lse := logSumExp(row)
			sum += lse
			if ll != nil {
				ll[r0+i] = lse
				continue
			}
			r := s.resp[(r0+i)*Kp : (r0+i)*Kp+K]
			for k, v := range row {
				r[k] = math.Exp(v - lse)
			}
		}
	}
	s.lse[b] = sum
	if ll == nil {
		s.moments(b)
	}
}

// moments accumulates block b's nk and Σ resp·x from the stored responsibilities.
func (s *emState) moments(b int) {
	d, str, Kp := s.d, s.d.str, s.Kp
	lo, hi := s.block(b)
	nk := s.nk[b*Kp : (b+1)*Kp]
	clear(nk)
	for i := lo; i < hi; i++ {
		for k, v := range s.resp[i*Kp : (i+1)*Kp] {
			nk[k] += v
		}
	}
	msum := s.msum[b*Kp*str : (b+1)*Kp*str]
	clear(msum)
	rows4 := padded(hi - lo)
	mulAddTN(Kp, str, rows4, s.resp[lo*Kp:], Kp, d.x[lo*str:], str, msum, str, false)
}

// scatter accumulates block b's Σ resp_ik (x − μ_k)(x − μ_k)ᵀ for every component (the upper
// triangle).
func (s *emState) scatter(w, b int) {
	d, str, K, Kp := s.d, s.d.str, s.K, s.Kp
	sc := &s.scratch[w]
	lo, hi := s.block(b)
	cs := s.csum[b*K*str*str : (b+1)*K*str*str]
	clear(cs)
	for r0 := lo; r0 < hi; r0 += subRows {
		rows4 := padded(min(subRows, hi-r0))
		x := d.x[r0*str : (r0+rows4)*str]
		wt := sc.w[:rows4*str]
		for k := 0; k < K; k++ {
			mu := s.means[k*str : (k+1)*str]
			for i := 0; i < rows4; i++ {
				r := math.Sqrt(s.resp[(r0+i)*Kp+k])
				scaledDiff(wt[i*str:(i+1)*str], x[i*str:(i+1)*str], mu, r)
			}
			// Σ resp·(x−μ)(x−μ)ᵀ as WᵀW with W = √resp·(x−μ), which is symmetric by construction.
			mulAddTN(str, str, rows4, wt, str, wt, str, cs[k*str*str:], str, true)
		}
	}
}

// mStep computes the parameters from the block partials: weights (nk/n when init, else
// nk/Σnk), means, covariances and their precision Cholesky factors.
func (s *emState) mStep(init bool) error {
	d, str, m, K, Kp := s.d, s.d.str, s.d.m, s.K, s.Kp
	nk := s.nkK
	clear(nk)
	clear(s.means)
	for b := 0; b < s.nBlocks; b++ {
		for k := 0; k < K; k++ {
			nk[k] += s.nk[b*Kp+k]
		}
		for j, v := range s.msum[b*Kp*str : (b+1)*Kp*str] {
			s.means[j] += v
		}
	}
	var total float64
	for k := range nk {
		nk[k] += 10 * 0x1p-52
		total += nk[k]
		mu := s.means[k*str : k*str+m]
		for t := range mu {
			mu[t] /= nk[k]
		}
	}
	for k := range nk {
		if init {
			s.weights[k] = nk[k] / float64(d.n)
		} else {
			s.weights[k] = nk[k] / total
		}
		s.logW[k] = math.Log(s.weights[k])
	}
	parallel(s.workers, s.nBlocks, s.scatter)
	for k := 0; k < K; k++ {
		cov := s.covs[k*m*m : (k+1)*m*m]
		clear(cov)
		for b := 0; b < s.nBlocks; b++ {
			cs := s.csum[(b*K+k)*str*str:]
			for i := 0; i < m; i++ {
				for j := i; j < m; j++ {
					cov[i*m+j] += cs[i*str+j]
				}
			}
		}
		for i := 0; i < m; i++ {
			for j := i; j < m; j++ {
				v := cov[i*m+j] / nk[k]
				if i == j {
					v += s.reg
				}
				cov[i*m+j], cov[j*m+i] = v, v
			}
		}
		var ok bool
		s.logDet[k], ok = precisionCholesky(s.u[k*str*str:], str, cov, m, s.chol)
		if !ok {
			return fmt.Errorf("anomaly: GMM component %d has an ill-defined covariance (collapsed or degenerate data); use fewer components or a larger regCovar", k)
		}
		muU := s.muU[k*str : (k+1)*str]
		clear(muU)
		mulAddNN(1, str, str, s.means[k*str:], str, s.u[k*str*str:], str, muU, str, true)
	}
	return nil
}

// em runs EM from the hard assignment labels (scikit-learn's init_params="kmeans") and
// returns the number of iterations, whether it converged and the final lower bound.
func (s *emState) em(ctx context.Context, labels []int32, maxIter int, tol float64) (iters int, converged bool, lb float64, err error) {
	Kp := s.Kp
	for i, l := range labels {
		s.resp[i*Kp+int(l)] = 1
	}
	parallel(s.workers, s.nBlocks, func(_, b int) { s.moments(b) })
	if err := s.mStep(true); err != nil {
		return 0, false, 0, err
	}
	lb = math.Inf(-1)
	for it := 1; it <= maxIter; it++ {
		if err := ctx.Err(); err != nil {
			return 0, false, 0, err
		}
		prev := lb
		parallel(s.workers, s.nBlocks, func(w, b int) { s.eStep(w, b, nil) })
		lb = s.meanLSE()
		if math.IsNaN(lb) || math.IsInf(lb, 0) {
			return 0, false, 0, fmt.Errorf("anomaly: GMM log-likelihood is %v at iteration %d (features too large or degenerate)", lb, it)
		}
		if err := s.mStep(false); err != nil {
			return 0, false, 0, err
		}
		iters = it
		if math.Abs(lb-prev) < tol {
			converged = true
			break
		}
	}
	return iters, converged, lb, nil
}

// logLikelihoods stores log p(x_i) of every row under the current parameters.
func (s *emState) logLikelihoods(ll []float64) {
	parallel(s.workers, s.nBlocks, func(w, b int) { s.eStep(w, b, ll) })
}

func (s *emState) meanLSE() float64 {
	var sum float64
	for _, v := range s.lse {
		sum += v
	}
	return sum / float64(s.d.n)
}

// logSumExp returns ln Σ exp(v_i), computed without overflow or underflow.
func logSumExp(v []float64) float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = max(mx, x)
	}
	if math.IsInf(mx, 0) {
		return mx
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - mx)
	}
	return mx + math.Log(s)
}
