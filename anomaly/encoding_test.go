package anomaly

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"testing"
	"time"
)

func fittedModels(t testing.TB) (*KMeans, *GMM) {
	t.Helper()
	x := benchData(300, 5)
	km, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: 6, Axes: []int{0, 2, 3}}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	g, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 3, Axes: []int{1, 2, 4}}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	return km, g
}

func TestMarshalRoundTrip(t *testing.T) {
	km, g := fittedModels(t)
	x := benchData(50, 5)
	for _, m := range []Model{km, g} {
		data, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Load(data)
		if err != nil {
			t.Fatalf("%s: %v", m.BlockType(), err)
		}
		if back.BlockType() != m.BlockType() || back.Threshold() != m.Threshold() || back.NumFeatures() != m.NumFeatures() {
			t.Errorf("%s: type, threshold or width changed", m.BlockType())
		}
		for i := 0; i < 50; i++ {
			if a, b := m.Score(x.RawRowView(i)), back.Score(x.RawRowView(i)); a != b {
				t.Fatalf("%s: score of row %d %v after loading, %v before", m.BlockType(), i, b, a)
			}
		}
		again, _ := back.MarshalBinary()
		if !bytes.Equal(data, again) {
			t.Errorf("%s: re-encoding differs", m.BlockType())
		}
		created := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		if a, b := m.Metadata(created), back.Metadata(created); !equalJSON(t, a, b) {
			t.Errorf("%s: metadata changed", m.BlockType())
		}
	}
	// The kinds do not mix.
	kb, _ := km.MarshalBinary()
	gb, _ := g.MarshalBinary()
	if err := new(GMM).UnmarshalBinary(kb); !errors.Is(err, ErrFormat) {
		t.Errorf("GMM from K-means data: %v", err)
	}
	if err := new(KMeans).UnmarshalBinary(gb); !errors.Is(err, ErrFormat) {
		t.Errorf("K-means from GMM data: %v", err)
	}
}

// withCRC replaces the checksum of data so that a corrupted payload reaches the parser.
func withCRC(data []byte) []byte {
	if len(data) < 4 {
		return data
	}
	out := bytes.Clone(data)
	binary.LittleEndian.PutUint32(out[len(out)-4:], crc32.ChecksumIEEE(out[:len(out)-4]))
	return out
}

func TestLoadRejectsCorruptData(t *testing.T) {
	km, g := fittedModels(t)
	for _, m := range []Model{km, g} {
		data, _ := m.MarshalBinary()
		for n := 0; n < len(data); n++ {
			if _, err := Load(data[:n]); !errors.Is(err, ErrFormat) {
				t.Fatalf("%s truncated to %d bytes: %v", m.BlockType(), n, err)
			}
			if _, err := Load(withCRC(data[:n])); err == nil {
				t.Fatalf("%s truncated to %d bytes with a valid checksum: no error", m.BlockType(), n)
			}
		}
		for i := range data {
			bad := bytes.Clone(data)
			bad[i] ^= 0x20
			if _, err := Load(bad); !errors.Is(err, ErrFormat) {
				t.Fatalf("%s with byte %d flipped: %v", m.BlockType(), i, err)
			}
		}
		if _, err := Load(append(bytes.Clone(data), 0)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s with a trailing byte: %v", m.BlockType(), err)
		}
	}
	data, _ := km.MarshalBinary()
	// Payload errors behind a valid checksum: version, dimensions, values.
	set := func(off int, v uint32) []byte {
		b := bytes.Clone(data)
		binary.LittleEndian.PutUint32(b[off:], v)
		return withCRC(b)
	}
	f64 := func(off int, v float64) []byte {
		b := bytes.Clone(data)
		binary.LittleEndian.PutUint64(b[off:], math.Float64bits(v))
		return withCRC(b)
	}
	p := headerLen
	m := 3
	meanOff := p + 12 + 4*m
	scaleOff := meanOff + 8*m
	version := bytes.Clone(data)
	version[len(magic)] = 2
	for name, b := range map[string][]byte{
		"version 2":        withCRC(version),
		"huge cluster cnt": set(p+8, 1<<30),
		"zero axes":        set(p+4, 0),
		"axis beyond":      set(p+12, 5),
		"axes descending":  set(p+16, 0),
		"NaN mean":         f64(meanOff, math.NaN()),
		"zero scale":       f64(scaleOff, 0),
		"infinite scale":   f64(scaleOff, math.Inf(1)),
	} {
		if _, err := Load(b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A failed UnmarshalBinary leaves the receiver as it was.
	before, _ := km.MarshalBinary()
	if err := km.UnmarshalBinary(f64(scaleOff, -1)); err == nil {
		t.Fatal("negative scale accepted")
	}
	if after, _ := km.MarshalBinary(); !bytes.Equal(before, after) {
		t.Error("failed UnmarshalBinary modified the model")
	}
}

func FuzzLoad(f *testing.F) {
	km, g := fittedModels(f)
	kb, _ := km.MarshalBinary()
	gb, _ := g.MarshalBinary()
	f.Add(kb)
	f.Add(gb)
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range [][]byte{data, withCRC(data)} {
			m, err := Load(d)
			if err != nil {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("error not wrapping ErrFormat: %v", err)
				}
				continue
			}
			// A loaded model encodes back to the same bytes and scores without panicking.
			again, err := m.MarshalBinary()
			if err != nil || !bytes.Equal(again, d) {
				t.Fatalf("re-encoding differs (%v)", err)
			}
			m.Score(make([]float64, m.NumFeatures()))
		}
	})
}
