//go:build !amd64 || noasm

package learn

const useAVX = false

func axpy8(y *float32, x []float32, w *float32, ldw int)                 { panic("learn: no assembly") }
func axpy16(y *float32, x []float32, w *float32, ldw int)                { panic("learn: no assembly") }
func ger8(dw *float32, ldw int, x []float32, gv *float32)                { panic("learn: no assembly") }
func dotRows(dx []float32, w *float32, ldw int, gv *float32, blocks int) { panic("learn: no assembly") }

func gemm16(c *float32, ldc int, a *float32, ars, ais int, b *float32, ldb, rows, k int, mask *[16]int32, k1, ais1 int) {
	panic("learn: no assembly")
}
func gemm8(c *float32, ldc int, a *float32, ars, ais int, b *float32, ldb, rows, k int, mask *[16]int32, k1, ais1 int) {
	panic("learn: no assembly")
}

const useAVX2 = false

func pool2RowAVX(y *float32, idx *int32, x *float32, n, c, w int, base int32) {
	panic("learn: no assembly")
}
func pool1RowAVX(y *float32, idx *int32, x *float32, n, c int, base int32) {
	panic("learn: no assembly")
}

func dxRowAVX(dx *float32, step int, wt *float32, taps int, dz *float32, cout, n int, masks *[16]int32) {
	panic("learn: no assembly")
}

func reluAVX(y []float32)                      { panic("learn: no assembly") }
func reluBackAVX(dy, y []float32, add float32) { panic("learn: no assembly") }
func poolBack2RowAVX(dx *float32, dy *float32, idx *int32, n, c, w int, base int32) {
	panic("learn: no assembly")
}
func poolBack1RowAVX(dx *float32, dy *float32, idx *int32, n, c int, base int32) {
	panic("learn: no assembly")
}

const useAVX512 = false

func gemmZ(c *float32, ldc int, init *float32, a *float32, ars, ais, ais1 int, b *float32, ldb, rows, k, k1 int, masks uint32, relu int) {
	panic("learn: no assembly")
}
func dxRowZ(dx *float32, step int, wt *float32, taps int, dz *float32, cout, n int, last uint16) {
	panic("learn: no assembly")
}
func pool2RowZ(y *float32, idx *int32, x *float32, n, c, w int, base int32, rows int) {
	panic("learn: no assembly")
}
func poolBack2RowZ(dx *float32, dy *float32, idx *int32, yout *float32, n, c, w int, base int32, rows int) {
	panic("learn: no assembly")
}
func gemm9Z(c *float32, ldc int, a *float32, wp int, b *float32, ldb, w, h int, masks uint32) {
	panic("learn: no assembly")
}
func dwSparseZ(dwT, x, dz *float32, h, w, xrow, cin, cout, kh, taps int, cmask uint16) {
	panic("learn: no assembly")
}
func dxSparseZ(dx *float32, step int, wt *float32, taps int, dz *float32, cout, n int) {
	panic("learn: no assembly")
}
func allFiniteZ(x *float32, blocks int) bool { panic("learn: no assembly") }
