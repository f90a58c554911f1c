package report

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// TestPCA2 checks the projection against numpy 1.24.2 (Debian bookworm's
// python3-numpy): the columns standardised with the population standard
// deviation, the constant fourth column dropped, Z = U·S·Vᵀ by
// numpy.linalg.svd, each row of Vᵀ signed so that its largest-magnitude
// entry is positive, P = Z·Vᵀ[:2]ᵀ, explained = S²/ΣS². scikit-learn 1.2.1's
// PCA(2) on StandardScaler's output gives the same explained variance
// ratios.
func TestPCA2(t *testing.T) {
	X := mat.NewDense(8, 5, []float64{
		1.0, 10.0, 3.0, 7.0, 0.5,
		2.0, 11.5, 2.0, 7.0, 0.1,
		3.5, 9.0, 4.0, 7.0, 0.9,
		4.0, 14.0, 1.0, 7.0, 0.3,
		5.5, 13.0, 5.0, 7.0, 0.7,
		6.0, 17.5, 0.5, 7.0, 0.2,
		7.5, 16.0, 6.0, 7.0, 0.8,
		8.0, 20.0, 2.5, 7.0, 0.4,
	})
	want := []float64{
		0.3722912686, -1.8504274188, -1.1276348645, -1.5531945949, 1.8438404902, -0.966089711,
		-1.2209123221, -0.4799096212, 1.3535494479, 0.3936340575, -1.9696913564, 0.6851410566,
		1.7034408635, 1.7117104191, -0.9548835271, 2.0591358126,
	}
	p, err := PCA2(X)
	if err != nil {
		t.Fatal(err)
	}
	if !floats.EqualApprox(p.Points, want, 1e-9) {
		t.Errorf("projection\ngot  %.10f\nwant %.10f", p.Points, want)
	}
	if !floats.EqualApprox(p.Explained[:], []float64{0.494557165662, 0.46232801713}, 1e-11) {
		t.Errorf("explained %v, want [0.494557165662 0.46232801713]", p.Explained)
	}
}

func TestPCA2Degenerate(t *testing.T) {
	// One informative column: PC 2 is zero and PC 1 holds everything.
	X := mat.NewDense(3, 2, []float64{1, 5, 2, 5, 3, 5})
	p, err := PCA2(X)
	if err != nil {
		t.Fatal(err)
	}
	s := math.Sqrt(2.0 / 3)
	if !floats.EqualApprox(p.Points, []float64{-1 / s, 0, 0, 0, 1 / s, 0}, 1e-12) || p.Explained != [2]float64{1, 0} {
		t.Errorf("points %v, explained %v", p.Points, p.Explained)
	}
	for name, X := range map[string]*mat.Dense{
		"one row":  mat.NewDense(1, 2, []float64{1, 2}),
		"constant": mat.NewDense(2, 2, []float64{1, 2, 1, 2}),
		"NaN":      mat.NewDense(2, 2, []float64{1, math.NaN(), 1, 2}),
		"Inf":      mat.NewDense(2, 2, []float64{1, math.Inf(1), 1, 2}),
	} {
		if _, err := PCA2(X); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
