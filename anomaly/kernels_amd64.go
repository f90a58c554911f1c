//go:build !noasm

package anomaly

import "golang.org/x/sys/cpu"

// Assembly kernels (kernels_amd64.s) for CPUs with AVX2 and FMA. Each has a pure-Go
// reference that the tests compare it with: sqDist, distsGo, triQuadGo, scaledDiffGo and
// gonum's Dgemm.

// sqDistAVX returns Σ_{i<n} (x[i]−y[i])²; n is a multiple of 4.
//
//go:noescape
func sqDistAVX(x, y *float64, n int) float64

// distsAVX sets dst[j] = Σ_{t<m} (x[t] − ct[t*kp+j])² for j < kp; kp is a multiple of 4
// and m >= 1.
//
//go:noescape
func distsAVX(dst, x, ct *float64, m, kp int)

// gemm4x8AVX adds Σ_{t<depth} a[i*ars+t*ats]·b[t*ldb+j] to c[i*ldc+j] for i < 4, j < 8;
// depth >= 1.
//
//go:noescape
func gemm4x8AVX(depth int, a *float64, ars, ats int, b *float64, ldb int, c *float64, ldc int)

// gemm4x4AVX is gemm4x8AVX for j < 4.
//
//go:noescape
func gemm4x4AVX(depth int, a *float64, ars, ats int, b *float64, ldb int, c *float64, ldc int)

// triQuadAVX returns Σ_j (Σ_{t≤j} d[t]·u[t*str+j])² for j < str, u upper triangular;
// str is a multiple of 4.
//
//go:noescape
func triQuadAVX(d, u *float64, str int) float64

// scaledDiffAVX sets dst[i] = r·(x[i] − y[i]) for i < n; n is a multiple of 4.
//
//go:noescape
func scaledDiffAVX(dst, x, y *float64, r float64, n int)

// prefetchRow hints that the 320 bytes at p will be read soon.
//
//go:noescape
func prefetchRow(p *float64)

// useAsm reports whether the CPU and the operating system support AVX2 and FMA. Tests turn
// it off to run the pure-Go paths.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gemmAsm computes c[i*ldc+j] += Σ_{t<depth} a[i*ars+t*ats]·b[t*ldb+j] for i < rows,
// j < cols, rows and cols multiples of 4, with the 4×8 and 4×4 kernels. When upper is true
// b is upper triangular and the sum for columns j0..j0+w−1 stops at t = j0+w. When
// upperOnly is true the blocks of c wholly below the diagonal are skipped.
func gemmAsm(rows, cols, depth int, a []float64, ars, ats int, b []float64, ldb int, c []float64, ldc int, upper, upperOnly bool) {
	if rows%4 != 0 || cols%4 != 0 || depth < 1 ||
		len(a) <= (rows-1)*ars+(depth-1)*ats || len(b) <= (depth-1)*ldb+cols-1 || len(c) <= (rows-1)*ldc+cols-1 {
		panic("anomaly: gemmAsm: bad shape")
	}
	for i := 0; i < rows; i += 4 {
		ap := &a[i*ars]
		j := 0
		if upperOnly {
			j = i &^ 7 // the first block of 8 that reaches column i
		}
		for ; j+8 <= cols; j += 8 {
			dep := depth
			if upper {
				dep = min(depth, j+8)
			}
			gemm4x8AVX(dep, ap, ars, ats, &b[j], ldb, &c[i*ldc+j], ldc)
		}
		if j < cols {
			dep := depth
			if upper {
				dep = min(depth, j+4)
			}
			gemm4x4AVX(dep, ap, ars, ats, &b[j], ldb, &c[i*ldc+j], ldc)
		}
	}
}

// dist2 returns the squared distance between x and y (len(y) >= len(x)).
func dist2(x, y []float64) float64 {
	if useAsm && len(x)%4 == 0 && len(x) > 0 {
		_ = y[len(x)-1]
		return sqDistAVX(&x[0], &y[0], len(x))
	}
	return sqDist(x, y)
}

// dists sets dst[j] to the squared distance from x[:m] to column j of ct (m × len(dst)).
func dists(dst, x, ct []float64, m int) {
	kp := len(dst)
	if useAsm && kp%4 == 0 && m > 0 && kp > 0 {
		_ = x[m-1]
		_ = ct[(m-1)*kp+kp-1]
		distsAVX(&dst[0], &x[0], &ct[0], m, kp)
		return
	}
	distsGo(dst, x, ct, m)
}

// triQuad returns ‖dᵀU‖² for the str×str upper-triangular U (row-major); len(d) == str.
func triQuad(d, u []float64) float64 {
	str := len(d)
	if useAsm && str%4 == 0 && str > 0 {
		_ = u[str*str-1]
		return triQuadAVX(&d[0], &u[0], str)
	}
	return triQuadGo(d, u)
}

// scaledDiff sets dst[i] = r·(x[i] − y[i]); the slices have equal lengths.
func scaledDiff(dst, x, y []float64, r float64) {
	n := len(dst)
	if useAsm && n%4 == 0 && n > 0 {
		_, _ = x[n-1], y[n-1]
		scaledDiffAVX(&dst[0], &x[0], &y[0], r, n)
		return
	}
	scaledDiffGo(dst, x, y, r)
}

// prefetch hints that row will be read soon.
func prefetch(row []float64) {
	if len(row) > 0 {
		prefetchRow(&row[0])
	}
}
