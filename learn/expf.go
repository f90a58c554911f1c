package learn

import (
	"math"
	"math/big"
)

// expf returns e^x as a float32 for x ≤ 0 exactly as the expf of GNU libc
// (2.28 and later, whose algorithm comes from Arm's optimized-routines) does
// on x86-64 processors with FMA, where glibc selects its FMA build. That is
// the expf TensorFlow Lite 2.9 calls to fill its int8 softmax table. It is not
// the float32 nearest to e^x: float32(math.Exp(x)) differs on 97,052 of the
// 1,120,927,745 float32 arguments in [−104, 0], while expf agrees with glibc
// 2.36's on every one of them (checked exhaustively when this was written).
//
// The algorithm: with N = 32, z = x·N/ln 2 is split into an integer k (rounded
// to nearest through the 1.5·2^52 shift) and r = z − k, both computed with a
// fused multiply-add; e^x = 2^(k/N)·2^(r/N), 2^(r/N) ≈ C0·r³ + C1·r² + C2·r + 1
// evaluated with fused multiply-adds in float64, and 2^(k/N) assembled from a
// 32-entry table of 2^(i/N); the product is rounded once to float32.
func expf(x float32) float32 {
	if x < -0x1.9fe368p6 { // below ln(2^−150): rounds to 0
		return 0
	}
	xd := float64(x)
	kd := math.FMA(expfInvLn2N, xd, expfShift)
	ki := math.Float64bits(kd)
	kd -= expfShift
	r := math.FMA(expfInvLn2N, xd, -kd)
	s := math.Float64frombits(expfTable[ki%expfN] + ki<<(52-expfBits))
	z := math.FMA(expfC0, r, expfC1)
	y := math.FMA(expfC2, r, 1)
	y = math.FMA(z, r*r, y)
	return float32(y * s)
}

const (
	expfBits = 5
	expfN    = 1 << expfBits
	// N/ln 2, the rounding shift 1.5·2^52 and the polynomial coefficients
	// of 2^(r/N) (minimax, from glibc's __exp2f_data).
	expfInvLn2N = 0x1.71547652b82fep+0 * expfN
	expfShift   = 0x1.8p+52
	expfC0      = 0x1.c6af84b912394p-5 / expfN / expfN / expfN
	expfC1      = 0x1.ebfce50fac4f3p-3 / expfN / expfN
	expfC2      = 0x1.62e42ff0c52d6p-1 / expfN
)

// expfTable holds the bits of 2^(i/N), correctly rounded to float64, minus
// i·2^52/N, so that adding k·2^52/N puts 2^⌊k/N⌋ into the exponent.
var expfTable = func() (t [expfN]uint64) {
	const prec = 256
	root := new(big.Float).SetPrec(prec).SetInt64(2)
	for range expfBits {
		root.Sqrt(root) // 2^(1/N)
	}
	p := new(big.Float).SetPrec(prec).SetInt64(1)
	for i := range t {
		f, _ := p.Float64()
		t[i] = math.Float64bits(f) - uint64(i)<<(52-expfBits)
		p.Mul(p, root)
	}
	return t
}()
