package anomaly

import "math"

// precisionCholesky factors the symmetric m×m matrix cov (row-major, stride m) as L·Lᵀ and
// writes to u (row-major, stride ldu) the upper-triangular U = (L⁻¹)ᵀ, so that
// cov⁻¹ = U·Uᵀ (scikit-learn's precisions_cholesky_). It returns Σ ln U_jj = −½ ln det cov,
// and false when cov is not numerically positive definite. Entries of u below the diagonal
// are set to zero; l is scratch of length m·m.
func precisionCholesky(u []float64, ldu int, cov []float64, m int, l []float64) (logDet float64, ok bool) {
	// Cholesky–Banachiewicz: L row by row.
	for i := 0; i < m; i++ {
		for j := 0; j <= i; j++ {
			s := cov[i*m+j]
			li, lj := l[i*m:i*m+j], l[j*m:j*m+j]
			for t, v := range li {
				s -= v * lj[t]
			}
			if i == j {
				if !(s > 0) || math.IsInf(s, 0) {
					return 0, false
				}
				l[i*m+i] = math.Sqrt(s)
			} else {
				l[i*m+j] = s / l[j*m+j]
			}
		}
	}
	// Column j of L⁻¹ solves L·y = e_j, and it is row j of U = (L⁻¹)ᵀ.
	for j := 0; j < m; j++ {
		row := u[j*ldu : j*ldu+m]
		clear(row[:j])
		for i := j; i < m; i++ {
			var s float64
			if i == j {
				s = 1
			}
			for t := j; t < i; t++ {
				s -= l[i*m+t] * row[t]
			}
			row[i] = s / l[i*m+i]
		}
		logDet += math.Log(row[j])
	}
	return logDet, true
}
