package dataset

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Rotation is a 3×3 rotation matrix in row-major order: a vector v
// becomes (R[0]·v0+R[1]·v1+R[2]·v2, R[3]·v0+…, R[6]·v0+…).
type Rotation [9]float64

// Apply returns R·v.
func (r *Rotation) Apply(x, y, z float64) (float64, float64, float64) {
	return r[0]*x + r[1]*y + r[2]*z, r[3]*x + r[4]*y + r[5]*z, r[6]*x + r[7]*y + r[8]*z
}

// AxisAngle returns the rotation by angle radians about the unit vector
// (x, y, z) (Rodrigues' formula), counter-clockwise looking down the axis.
func AxisAngle(x, y, z, angle float64) Rotation {
	c, s := math.Cos(angle), math.Sin(angle)
	t := 1 - c
	return Rotation{
		t*x*x + c, t*x*y - s*z, t*x*z + s*y,
		t*x*y + s*z, t*y*y + c, t*y*z - s*x,
		t*x*z - s*y, t*y*z + s*x, t*z*z + c,
	}
}

// RandomRotation returns a rotation about an axis drawn uniformly from
// the unit sphere by an angle drawn uniformly from ±maxDegrees.
func RandomRotation(rng *rand.Rand, maxDegrees float64) Rotation {
	var x, y, z, n float64
	for n < 1e-9 {
		x, y, z = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		n = math.Sqrt(x*x + y*y + z*z)
	}
	a := (2*rng.Float64() - 1) * maxDegrees * math.Pi / 180
	return AxisAngle(x/n, y/n, z/n, a)
}

// SampleRotation returns rotation number copy of the sample named name,
// drawn (RandomRotation) from a generator seeded by the name, the copy
// number and salt alone: the same sample gets the same rotations in any
// dataset it is part of, whatever its position or ID.
func SampleRotation(name string, copy int, salt uint64, maxDegrees float64) Rotation {
	h := fnv.New64a()
	h.Write([]byte(name))
	return RandomRotation(rand.New(rand.NewPCG(h.Sum64()^salt, uint64(copy))), maxDegrees)
}

// Triples returns the axes of sensors that form 3-axis vectors: the
// indices of the x, y and z axes of every group of names that differ only
// in a final x, y or z (any case: accX, accY, accZ; gyrx, gyry, gyrz), in
// the order in which each group's first axis comes.
func Triples(sensors []Sensor) [][3]int {
	type group struct {
		idx  [3]int
		seen int
	}
	groups := map[string]*group{}
	var order []string
	for i, s := range sensors {
		n := s.Name
		if n == "" {
			continue
		}
		k := strings.IndexByte("xyz", n[len(n)-1]|0x20)
		if k < 0 {
			continue
		}
		stem := strings.ToLower(n[:len(n)-1])
		g := groups[stem]
		if g == nil {
			g = &group{}
			groups[stem] = g
			order = append(order, stem)
		}
		if g.seen&(1<<k) != 0 {
			g.seen |= 8 // the same axis twice: not a vector
			continue
		}
		g.idx[k] = i
		g.seen |= 1 << k
	}
	var out [][3]int
	for _, stem := range order {
		if g := groups[stem]; g.seen == 7 {
			out = append(out, g.idx)
		}
	}
	return out
}

// Rotated returns a copy of a time-series sample with every 3-axis vector
// of its sensors (see Triples) rotated by r, the same rotation for all of
// them, as if the device had been held turned by r: the accelerometer and
// the gyroscope of one board turn together. Other axes are copied as they
// are. The copy has values of its own; its other fields (sensors, labels,
// metadata) are those of s, shared.
func (s *Sample) Rotated(r Rotation) (*Sample, error) {
	if s.Image != nil || len(s.Sensors) == 0 {
		return nil, fmt.Errorf("dataset: sample %s is not a time series; only sensor axes can be rotated", s.Name)
	}
	tr := Triples(s.Sensors)
	if len(tr) == 0 {
		return nil, fmt.Errorf("dataset: sample %s has no 3-axis sensor (axes named …x, …y, …z) to rotate", s.Name)
	}
	c := *s
	c.pcm = nil
	if s.pcm != nil {
		c.Values = s.Series(nil) // a fresh slice
	} else {
		c.Values = slices.Clone(s.Values)
	}
	n := len(s.Sensors)
	for i := 0; i+n <= len(c.Values); i += n {
		v := c.Values[i : i+n]
		for _, t := range tr {
			v[t[0]], v[t[1]], v[t[2]] = r.Apply(v[t[0]], v[t[1]], v[t[2]])
		}
	}
	return &c, nil
}

// RotatedCopies returns copy number copy of every sample, each turned by
// its SampleRotation(name, copy, salt, maxDegrees) (see Sample.Rotated).
func RotatedCopies(samples []*Sample, copy int, salt uint64, maxDegrees float64) ([]*Sample, error) {
	out := make([]*Sample, len(samples))
	for i, s := range samples {
		r, err := s.Rotated(SampleRotation(s.Name, copy, salt, maxDegrees))
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}
