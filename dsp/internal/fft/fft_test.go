package fft

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strconv"
	"testing"

	godsp "github.com/mjibson/go-dsp/fft"
	"gonum.org/v1/gonum/dsp/fourier"
)

// TestCoefficientsMatchGonum checks the plan against gonum's FFTPACK port
// for every supported length up to 4096, with inputs shorter than, equal
// to and longer than the transform.
func TestCoefficientsMatchGonum(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 1))
	for n := 1; n <= 4096; n *= 2 {
		p, err := NewReal(n)
		if err != nil {
			t.Fatal(err)
		}
		ref := fourier.NewFFT(n)
		for _, l := range []int{n, n / 2, n + 3, 1} {
			x := make([]float64, l)
			for i := range x {
				x[i] = rnd.NormFloat64() * 100
			}
			padded := make([]float64, n)
			copy(padded, x)
			want := ref.Coefficients(nil, padded)
			got := p.Coefficients(nil, x)
			var scale float64
			for _, v := range want {
				scale = math.Max(scale, cmplx.Abs(v))
			}
			for k := range want {
				if d := cmplx.Abs(got[k] - want[k]); d > 1e-13*scale {
					t.Fatalf("n=%d len=%d k=%d: got %v want %v (|diff| %g, scale %g)", n, l, k, got[k], want[k], d, scale)
				}
			}
			pow := p.PowerTo(nil, x, 1/float64(n))
			for k := range want {
				w := real(want[k])*real(want[k]) + imag(want[k])*imag(want[k])
				w /= float64(n)
				if d := math.Abs(pow[k] - w); d > 1e-12*scale*scale/float64(n) {
					t.Fatalf("power n=%d len=%d k=%d: got %v want %v", n, l, k, pow[k], w)
				}
			}
		}
	}
}

// TestImpulse checks hand-derived transforms: a unit impulse at t=1 gives
// X[k] = exp(-2πik/n), and a constant gives n at DC and zero elsewhere.
func TestImpulse(t *testing.T) {
	t.Parallel()
	const n = 16
	p, _ := NewReal(n)
	x := make([]float64, n)
	x[1] = 1
	got := p.Coefficients(nil, x)
	for k, v := range got {
		want := cmplx.Exp(complex(0, -2*math.Pi*float64(k)/n))
		if cmplx.Abs(v-want) > 1e-15 {
			t.Errorf("impulse k=%d: got %v want %v", k, v, want)
		}
	}
	for i := range x {
		x[i] = 2
	}
	got = p.Coefficients(got, x)
	for k, v := range got {
		want := complex(0, 0)
		if k == 0 {
			want = 2 * n
		}
		if cmplx.Abs(v-want) > 1e-14 {
			t.Errorf("constant k=%d: got %v want %v", k, v, want)
		}
	}
}

func TestNewRealRejects(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, -4, 3, 100, MaxLength * 2} {
		if _, err := NewReal(n); err == nil {
			t.Errorf("NewReal(%d) accepted", n)
		}
	}
}

func TestPowerToAllocs(t *testing.T) {
	p, _ := NewReal(256)
	x := make([]float64, 320)
	dst := make([]float64, 129)
	if n := testing.AllocsPerRun(20, func() { p.PowerTo(dst, x, 1) }); n != 0 {
		t.Errorf("PowerTo allocates %v times per call", n)
	}
}

func BenchmarkPowerTo(b *testing.B) {
	for _, n := range []int{16, 128, 256, 512, 1024} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			p, _ := NewReal(n)
			x := make([]float64, n)
			for i := range x {
				x[i] = math.Sin(float64(i))
			}
			dst := make([]float64, n/2+1)
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				p.PowerTo(dst, x, 1)
			}
		})
	}
}

func BenchmarkGonum(b *testing.B) {
	for _, n := range []int{128, 256, 512} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			p := fourier.NewFFT(n)
			x := make([]float64, n)
			dst := make([]complex128, n/2+1)
			for b.Loop() {
				p.Coefficients(dst, x)
			}
		})
	}
}

// BenchmarkGoDSP measures go-dsp's FFTReal on the same lengths, for the
// comparison in the package documentation (it allocates and starts
// goroutines on every call).
func BenchmarkGoDSP(b *testing.B) {
	for _, n := range []int{128, 256, 512} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			x := make([]float64, n)
			for i := range x {
				x[i] = math.Sin(float64(i))
			}
			b.ReportAllocs()
			for b.Loop() {
				godsp.FFTReal(x)
			}
		})
	}
}
