package dataset

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestAxisAngle checks quarter turns worked out by hand (right-hand rule):
// about z, x goes to y and y to −x; about x, y goes to z.
func TestAxisAngle(t *testing.T) {
	near := func(a, b [3]float64) bool {
		for i := range a {
			if math.Abs(a[i]-b[i]) > 1e-15 {
				return false
			}
		}
		return true
	}
	for _, c := range []struct {
		axis, in, want [3]float64
		deg            float64
	}{
		{[3]float64{0, 0, 1}, [3]float64{1, 0, 0}, [3]float64{0, 1, 0}, 90},
		{[3]float64{0, 0, 1}, [3]float64{0, 1, 0}, [3]float64{-1, 0, 0}, 90},
		{[3]float64{1, 0, 0}, [3]float64{0, 1, 0}, [3]float64{0, 0, 1}, 90},
		{[3]float64{0, 1, 0}, [3]float64{0, 0, 1}, [3]float64{1, 0, 0}, 90},
		{[3]float64{0, 0, 1}, [3]float64{2, 3, 4}, [3]float64{-2, -3, 4}, 180},
	} {
		r := AxisAngle(c.axis[0], c.axis[1], c.axis[2], c.deg*math.Pi/180)
		x, y, z := r.Apply(c.in[0], c.in[1], c.in[2])
		if got := [3]float64{x, y, z}; !near(got, c.want) {
			t.Errorf("%v° about %v turns %v to %v, want %v", c.deg, c.axis, c.in, got, c.want)
		}
	}
}

// TestRandomRotation checks that draws are rotations (orthonormal,
// determinant +1) whose angle, read from the trace (tr R = 1 + 2 cos θ),
// stays within the bound and comes near it.
func TestRandomRotation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const maxDeg = 45
	largest := 0.0
	for range 2000 {
		r := RandomRotation(rng, maxDeg)
		for i := range 3 {
			for j := range 3 {
				dot := r[3*i]*r[3*j] + r[3*i+1]*r[3*j+1] + r[3*i+2]*r[3*j+2]
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(dot-want) > 1e-12 {
					t.Fatalf("%v: rows %d and %d have dot product %v", r, i, j, dot)
				}
			}
		}
		det := r[0]*(r[4]*r[8]-r[5]*r[7]) - r[1]*(r[3]*r[8]-r[5]*r[6]) + r[2]*(r[3]*r[7]-r[4]*r[6])
		if math.Abs(det-1) > 1e-12 {
			t.Fatalf("%v: determinant %v", r, det)
		}
		angle := math.Acos(min(1, max(-1, (r[0]+r[4]+r[8]-1)/2))) * 180 / math.Pi
		if angle > maxDeg+1e-6 {
			t.Fatalf("angle %v° beyond %v°", angle, maxDeg)
		}
		largest = max(largest, angle)
	}
	if largest < 0.98*maxDeg {
		t.Errorf("largest angle of 2000 draws %v°, want close to %v°", largest, maxDeg)
	}
}

func TestSampleRotation(t *testing.T) {
	a := SampleRotation("circle.abc", 0, 7, 45)
	if b := SampleRotation("circle.abc", 0, 7, 45); a != b {
		t.Error("the same name, copy and salt give different rotations")
	}
	for _, b := range []Rotation{SampleRotation("circle.abd", 0, 7, 45), SampleRotation("circle.abc", 1, 7, 45), SampleRotation("circle.abc", 0, 8, 45)} {
		if a == b {
			t.Error("another name, copy or salt gives the same rotation")
		}
	}
}

func TestTriples(t *testing.T) {
	sensors := func(names ...string) []Sensor {
		var s []Sensor
		for _, n := range names {
			s = append(s, Sensor{Name: n})
		}
		return s
	}
	for _, c := range []struct {
		names []string
		want  [][3]int
	}{
		{[]string{"accX", "accY", "accZ", "gyrX", "gyrY", "gyrZ"}, [][3]int{{0, 1, 2}, {3, 4, 5}}},
		{[]string{"accZ", "accX", "accY"}, [][3]int{{1, 2, 0}}},
		{[]string{"x", "y", "z"}, [][3]int{{0, 1, 2}}},
		{[]string{"AccelX", "accelY", "ACCELZ", "temp"}, [][3]int{{0, 1, 2}}},
		{[]string{"accX", "accY"}, nil},
		{[]string{"accX", "accX", "accY", "accZ"}, nil},
		{[]string{"audio"}, nil},
		{[]string{"", "accX", "accY", "accZ"}, [][3]int{{1, 2, 3}}},
	} {
		if got := Triples(sensors(c.names...)); !slices.Equal(got, c.want) {
			t.Errorf("Triples(%q) = %v, want %v", c.names, got, c.want)
		}
	}
}

// TestRotated turns a sample with an accelerometer, a gyroscope and a
// temperature by a quarter turn about z: both vectors turn (x → y,
// y → −x), the temperature stays, and the original is left alone.
func TestRotated(t *testing.T) {
	s := &Sample{Name: "a.1", Label: "a", IntervalMs: 10,
		Sensors: []Sensor{{Name: "accX"}, {Name: "accY"}, {Name: "accZ"}, {Name: "temp"}, {Name: "gyrX"}, {Name: "gyrY"}, {Name: "gyrZ"}},
		Values:  []float64{1, 2, 3, 20, 4, 5, 6, 7, 8, 9, 21, 10, 11, 12}}
	orig := slices.Clone(s.Values)
	r, err := s.Rotated(AxisAngle(0, 0, 1, math.Pi/2))
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-2, 1, 3, 20, -5, 4, 6, -8, 7, 9, 21, -11, 10, 12}
	for i := range want {
		if math.Abs(r.Values[i]-want[i]) > 1e-14 {
			t.Fatalf("rotated values %v, want %v", r.Values, want)
		}
	}
	if !slices.Equal(s.Values, orig) {
		t.Error("Rotated changed the original's values")
	}
	if r.Name != s.Name || r.Label != s.Label || r.Len() != s.Len() {
		t.Error("the copy lost the sample's name, label or length")
	}
	for _, bad := range []*Sample{
		{Name: "noise.1", Sensors: []Sensor{{Name: "audio"}}, Values: []float64{1, 2}},
		{Name: "img.1"},
	} {
		if _, err := bad.Rotated(Rotation{}); err == nil || !strings.Contains(err.Error(), bad.Name) {
			t.Errorf("%s: error %v, want one naming the sample", bad.Name, err)
		}
	}
}
