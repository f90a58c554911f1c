package anomaly

const useAsm = false

func gemmAsm(rows, cols, depth int, a []float64, ars, ats int, b []float64, ldb int, c []float64, ldc int, upper bool) {
	panic("anomaly: no assembly kernels in this build")
}
