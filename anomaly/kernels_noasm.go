//go:build !amd64 || noasm

package anomaly

const useAsm = false

func gemmAsm(rows, cols, depth int, a []float64, ars, ats int, b []float64, ldb int, c []float64, ldc int, upper, upperOnly bool) {
	panic("anomaly: no assembly kernels in this build")
}

func dist2(x, y []float64) float64 { return sqDist(x, y) }

func dists(dst, x, ct []float64, m int) { distsGo(dst, x, ct, m) }

func triQuad(d, u []float64) float64 { return triQuadGo(d, u) }

func scaledDiff(dst, x, y []float64, r float64) { scaledDiffGo(dst, x, y, r) }

func prefetch(row []float64) {}
