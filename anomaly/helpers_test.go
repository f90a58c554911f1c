package anomaly

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// benchData returns the synthetic n×m feature matrix of testdata/anomaly/benchdata.py (a
// mixture of 10 anisotropic Gaussian "operating states" drawn from a counter-based
// splitmix64 stream), which the scikit-learn scripts use too.
func benchData(n, m int) *mat.Dense {
	const states = 10
	centres := benchNormals(1, states*m)
	transforms := benchNormals(2, states*m*m)
	scales := benchUniform(3, states)
	state := benchUniform(4, n)
	z := benchNormals(5, n*m)
	inv := 1 / math.Sqrt(float64(m))
	x := mat.NewDense(n, m, nil)
	for i := 0; i < n; i++ {
		g := int(math.Floor(state[i] * states))
		sc := 0.3 + 1.2*scales[g]
		zi := z[i*m : (i+1)*m]
		for r := 0; r < m; r++ {
			t := transforms[(g*m+r)*m : (g*m+r+1)*m]
			var s float64
			for c, v := range t {
				s += v * inv * zi[c]
			}
			x.Set(i, r, centres[g*m+r]+sc*s)
		}
	}
	return x
}

func benchUniform(seed uint64, n int) []float64 {
	u := make([]float64, n)
	for i := range u {
		z := seed + uint64(i+1)*0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		u[i] = float64(z>>11) * 0x1p-53
	}
	return u
}

func benchNormals(seed uint64, n int) []float64 {
	u := benchUniform(seed, 2*n)
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Sqrt(-2*math.Log(1-u[2*i])) * math.Cos(2*math.Pi*u[2*i+1])
	}
	return x
}

// readJSON decodes testdata/anomaly/name into v.
func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "anomaly", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func dense(rows [][]float64) *mat.Dense {
	x := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		x.SetRow(i, r)
	}
	return x
}

// near reports whether got and want agree to within tol, relative to max(1, |want|).
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func nearSlice(got, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !near(got[i], want[i], tol) {
			return false
		}
	}
	return true
}

// isError reports whether err matches target: errors.Is for an error target, errors.As for
// a pointer to an error type.
func isError(err error, target any) bool {
	if e, ok := target.(error); ok {
		return errors.Is(err, e)
	}
	return errors.As(err, target)
}

// sorted returns a sorted copy of v.
func sorted(v []float64) []float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s
}

func flatten(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}
