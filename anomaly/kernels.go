package anomaly

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// The matrix products of the fits go through mulAddNN and mulAddTN. On amd64 with AVX2 and
// FMA they run register-blocked assembly kernels (kernels_amd64.s) when the shapes are
// multiples of 4, which the padded layouts of this package guarantee; otherwise they call
// gonum's Dgemm.

var blasImpl gonum.Implementation

// mulAddNN computes c += a·b for a rows×depth, b depth×cols, all row-major with the given
// leading dimensions. When upper is true, b is upper triangular (b[t][j] == 0 for t > j) and
// the kernel may skip the zeros.
func mulAddNN(rows, cols, depth int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, upper bool) {
	if rows == 0 || cols == 0 || depth == 0 {
		return
	}
	if useAsm && rows%4 == 0 && cols%4 == 0 {
		gemmAsm(rows, cols, depth, a, lda, 1, b, ldb, c, ldc, upper, false)
		return
	}
	blasImpl.Dgemm(blas.NoTrans, blas.NoTrans, rows, cols, depth, 1, a, lda, b, ldb, 1, c, ldc)
}

// mulAddTN computes c += aᵀ·b for a depth×rows, b depth×cols, row-major. When upperOnly
// is true only the entries on and above the diagonal of c are needed; the others may or may
// not be updated.
func mulAddTN(rows, cols, depth int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, upperOnly bool) {
	if rows == 0 || cols == 0 || depth == 0 {
		return
	}
	if useAsm && rows%4 == 0 && cols%4 == 0 {
		gemmAsm(rows, cols, depth, a, 1, lda, b, ldb, c, ldc, false, upperOnly)
		return
	}
	blasImpl.Dgemm(blas.Trans, blas.NoTrans, rows, cols, depth, 1, a, lda, b, ldb, 1, c, ldc)
}

// sqDist returns the squared Euclidean distance between x and y (len(y) >= len(x)).
func sqDist(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0 := x[i] - y[i]
		d1 := x[i+1] - y[i+1]
		d2 := x[i+2] - y[i+2]
		d3 := x[i+3] - y[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := x[i] - y[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// distsGo sets dst[j] = Σ_{t<m} (x[t] − ct[t*len(dst)+j])², the reference for distsAVX.
func distsGo(dst, x, ct []float64, m int) {
	kp := len(dst)
	clear(dst)
	for t := 0; t < m; t++ {
		xt := x[t]
		row := ct[t*kp : (t+1)*kp]
		for j, v := range row {
			d := xt - v
			dst[j] += d * d
		}
	}
}

// triQuadGo returns Σ_j (Σ_{t≤j} d[t]·u[t*len(d)+j])², ‖dᵀU‖² for upper-triangular U, the
// reference for triQuadAVX.
func triQuadGo(d, u []float64) float64 {
	str := len(d)
	var q float64
	for j := 0; j < str; j++ {
		var y float64
		for t := 0; t <= j; t++ {
			y += d[t] * u[t*str+j]
		}
		q += y * y
	}
	return q
}

// scaledDiffGo sets dst[i] = r·(x[i] − y[i]), the reference for scaledDiffAVX.
func scaledDiffGo(dst, x, y []float64, r float64) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = r * (x[i] - y[i])
	}
}
