package learn

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// trainedPair trains a small conv network and quantises it.
func trainedPair(t testing.TB) (*Network, *Int8Network, Dataset) {
	t.Helper()
	d := blobs(120, 12, 3, 1.5, 9)
	cfg := Config{TrainingCycles: 3, LearningRate: 0.005, VisualLayers: []VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv1d", Neurons: 8},
		{Type: "batchNormalization"}, {Type: "dropout"}, {Type: "flatten"}, {Type: "dense", Neurons: 5}}}
	res, err := Train(context.Background(), cfg, Input{Kind: InputMFE, Width: 3, Height: 4}, d, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	q, err := Quantize(context.Background(), res.Network, d.X, res.Validation)
	if err != nil {
		t.Fatal(err)
	}
	return res.Network, q, d
}

func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	net, q, d := trainedPair(t)
	b, err := net.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	net2, err := UnmarshalNetwork(b)
	if err != nil {
		t.Fatal(err)
	}
	qb, err := q.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	q2, err := UnmarshalInt8Network(qb)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(net2.Labels(), net.Labels()) || !slices.Equal(q2.Labels(), q.Labels()) {
		t.Errorf("labels changed: %v %v", net2.Labels(), q2.Labels())
	}
	for i := range 20 {
		x := d.X.RawRowView(i)
		a, _ := net.Classify(nil, x)
		b, _ := net2.Classify(nil, x)
		if !slices.Equal(a, b) {
			t.Errorf("float32 window %d: %v before saving, %v after", i, a, b)
		}
		a, _ = q.Classify(nil, x)
		b, _ = q2.Classify(nil, x)
		if !slices.Equal(a, b) {
			t.Errorf("int8 window %d: %v before saving, %v after", i, a, b)
		}
	}
	// Every truncation and every single-byte corruption is an error, never a panic.
	for _, data := range [][]byte{b, qb} {
		for n := range len(data) {
			if _, err := UnmarshalNetwork(data[:n]); err == nil {
				t.Fatalf("truncated to %d bytes: no error", n)
			}
			if _, err := UnmarshalInt8Network(data[:n]); err == nil {
				t.Fatalf("truncated to %d bytes: no error", n)
			}
		}
		rng := rand.New(rand.NewPCG(1, 1))
		for range 200 {
			c := slices.Clone(data)
			c[rng.IntN(len(c))] ^= byte(1 + rng.IntN(255))
			_, err1 := UnmarshalNetwork(c)
			_, err2 := UnmarshalInt8Network(c)
			if err1 == nil || err2 == nil || !errors.Is(err1, ErrFormat) {
				t.Fatalf("corrupted file accepted: %v, %v", err1, err2)
			}
		}
	}
	if _, err := UnmarshalInt8Network(b); !errors.Is(err, ErrFormat) {
		t.Errorf("float32 file read as int8: %v", err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	net, q, _ := trainedPair(f)
	b, _ := net.MarshalBinary()
	qb, _ := q.MarshalBinary()
	f.Add(b)
	f.Add(qb)
	f.Add([]byte("TILEARN\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Also try the data with a valid checksum, so that the fuzzer reaches the
		// header and payload checks behind the CRC.
		if len(data) >= 4 {
			fixed := slices.Clone(data)
			binary.LittleEndian.PutUint32(fixed[len(fixed)-4:], crc32.ChecksumIEEE(fixed[:len(fixed)-4]))
			check(t, fixed)
		}
		check(t, data)
	})
}

// check loads data as either network type; whatever loads must classify a
// window and describe its operators.
func check(t *testing.T, data []byte) {
	if n, err := UnmarshalNetwork(data); err == nil {
		x := make([]float64, n.Features())
		if _, err := n.Classify(nil, x); err != nil {
			t.Fatal(err)
		}
		n.Graph()
	}
	if q, err := UnmarshalInt8Network(data); err == nil {
		x := make([]float64, q.Features())
		if _, err := q.Classify(nil, x); err != nil {
			t.Fatal(err)
		}
		q.Graph()
	}
}

// TestClassifyDoesNotAllocate: with a dst of the right capacity, classifying a
// window allocates nothing (float32 and int8).
func TestClassifyDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	net, q, d := trainedPair(t)
	x := d.X.RawRowView(0)
	dst := make([]float64, 0, net.Outputs())
	net.Classify(dst, x) // warm the scratch pool
	q.Classify(dst, x)
	if n := testing.AllocsPerRun(100, func() { dst, _ = net.Classify(dst[:0], x) }); n != 0 {
		t.Errorf("float32 Classify: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { dst, _ = q.Classify(dst[:0], x) }); n != 0 {
		t.Errorf("int8 Classify: %v allocations", n)
	}
	for _, bad := range [][]float64{x[:3], append(append([]float64(nil), x[:len(x)-1]...), math.NaN())} {
		if _, err := net.Classify(nil, bad); err == nil {
			t.Errorf("float32 Classify accepted %v", bad)
		}
		if _, err := q.Classify(nil, bad); err == nil {
			t.Errorf("int8 Classify accepted %v", bad)
		}
	}
}

// TestHugeInputRejected: input dimensions whose product overflows int are an
// error, from New and from a (well-formed, checksummed) file, not a panic.
func TestHugeInputRejected(t *testing.T) {
	t.Parallel()
	for _, in := range []Input{
		{Kind: InputMFCC, Width: 1 << 62, Height: 3},                     // product wraps negative
		{Kind: InputImage, Width: 1 << 32, Height: 1 << 32, Channels: 1}, // product wraps to 0
		{Kind: InputImage, Width: 1 << 12, Height: 1 << 12, Channels: 2}, // 2^25 features
	} {
		if _, err := New(Config{}, in, []string{"a", "b"}, false, 1); err == nil {
			t.Errorf("New accepted input %+v", in)
		}
		h := header(nil, in, 2, false, []string{"a", "b"})
		for kind, load := range map[uint32]func([]byte) error{
			kindFloat32: func(b []byte) error { _, err := UnmarshalNetwork(b); return err },
			kindInt8:    func(b []byte) error { _, err := UnmarshalInt8Network(b); return err },
		} {
			b, err := marshal(kind, h, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := load(b); !errors.Is(err, ErrFormat) {
				t.Errorf("kind %d file with input %+v: error %v, want ErrFormat", kind, in, err)
			}
		}
	}
}

// TestInt8FileFixedQuantisation: a well-formed file whose max pooling op
// rescales its tensor, or whose softmax output is not (1/256, −128), is
// rejected (the integer kernels ignore both, so the outputs would be
// de-quantised wrongly).
func TestInt8FileFixedQuantisation(t *testing.T) {
	t.Parallel()
	d := blobs(60, 12, 3, 1.5, 9)
	cfg := Config{TrainingCycles: 1, VisualLayers: []VisualLayer{{Type: "reshape", Columns: 4}, {Type: "conv1d", Neurons: 8}, {Type: "flatten"}}}
	res, err := Train(context.Background(), cfg, Input{Kind: InputMFE, Width: 3, Height: 4}, d, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	q, err := Quantize(context.Background(), res.Network, d.X, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := q.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []qkind{qPool, qSoftmax} {
		h, payload, err := unmarshal(data, kindInt8)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(q.layers, func(l qlayer) bool { return l.kind == k })
		h.Ops[i].Scale *= 2
		b, err := marshal(kindInt8, h, payload)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := UnmarshalInt8Network(b); !errors.Is(err, ErrFormat) {
			t.Errorf("op kind %d with a changed scale: error %v, want ErrFormat", k, err)
		}
	}
}
