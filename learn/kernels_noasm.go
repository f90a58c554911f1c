//go:build !amd64 || noasm

package learn

const useAVX = false

func axpy8(y *float32, x []float32, w *float32, ldw int)                 { panic("learn: no assembly") }
func axpy16(y *float32, x []float32, w *float32, ldw int)                { panic("learn: no assembly") }
func ger8(dw *float32, ldw int, x []float32, gv *float32)                { panic("learn: no assembly") }
func dotRows(dx []float32, w *float32, ldw int, gv *float32, blocks int) { panic("learn: no assembly") }

func gemm16(c *float32, ldc int, a *float32, ars, ais int, b *float32, ldb, rows, k int, mask *[16]int32) {
	panic("learn: no assembly")
}
