package service

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"image/jpeg"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
)

// packRoundTrip encodes and decodes samples.
func packRoundTrip(t *testing.T, samples []*dataset.Sample) []*dataset.Sample {
	t.Helper()
	data, err := encodeSamples(samples)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSamples(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(samples) {
		t.Fatalf("%d samples came back, want %d", len(got), len(samples))
	}
	return got
}

// sameBits reports whether two series hold the same float64 bits.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// straightRGB is what the library reads of an image: its straight 8-bit
// RGB values.
func straightRGB(img image.Image) []uint8 {
	var out []uint8
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out = append(out, c.R, c.G, c.B)
		}
	}
	return out
}

// A sample pack gives back every sample's metadata and every value bit
// for bit, in each of its encodings (16-bit integers, float32, float64
// with NaN, ±Inf and −0), and images as the straight RGB the library
// reads, whatever their colour model.
func TestSamplePack(t *testing.T) {
	series := func(id int, values ...float64) *dataset.Sample {
		return &dataset.Sample{ID: id, Name: "s", Path: "training/s.json", Category: dataset.CategoryTraining, Label: "a",
			IntervalMs: 16, Sensors: []dataset.Sensor{{Name: "x", Units: "m/s2"}}, Values: values}
	}
	ints := series(3, 0, 1, -32768, 32767, 12)
	f32 := series(5, 0.5, -1.25, float64(float32(0.1)))
	f64 := series(7, 0.1, math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 1e300)
	negZero := series(8, 1, math.Copysign(0, -1)) // not 16-bit: −0 must stay −0
	big := series(9, 40000, 1)                    // out of int16's range
	multi := series(10, 1, 2, 3, 4)
	if err := multi.SetLabels([]dataset.LabelRange{{Label: "a", StartIndex: 0, EndIndex: 1}, {Label: "b", StartIndex: 2, EndIndex: 3}}); err != nil {
		t.Fatal(err)
	}
	multi.Label = ""
	multi.KeyValues = map[string]string{"k": "v"}
	multi.Metadata = map[string]string{"session": "2"}
	multi.DeviceName, multi.DeviceType = "dev", "DATA_FORWARDER"

	rgba := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(37 * i)
	}
	var jp bytes.Buffer
	if err := jpeg.Encode(&jp, rgba, nil); err != nil {
		t.Fatal(err)
	}
	ycc, err := jpeg.Decode(&jp)
	if err != nil {
		t.Fatal(err)
	}
	pal := image.NewPaletted(image.Rect(2, 3, 6, 5), palette.Plan9) // bounds not at the origin
	for i := range pal.Pix {
		pal.Pix[i] = uint8(11 * i)
	}
	gray := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(16 * i)
	}
	premul := image.NewRGBA(image.Rect(0, 0, 2, 2)) // premultiplied, translucent
	copy(premul.Pix, []uint8{10, 20, 30, 40, 0, 0, 0, 0, 100, 100, 100, 100, 5, 6, 7, 255})
	img := func(id int, m image.Image) *dataset.Sample {
		return &dataset.Sample{ID: id, Name: "i", Path: "training/i.png", Category: dataset.CategoryTraining, Label: "a", Image: m,
			BoundingBoxes: []dataset.BoundingBox{{Label: "a", X: 1, Y: 1, Width: 1, Height: 1}}}
	}
	samples := []*dataset.Sample{ints, f32, f64, negZero, big, multi,
		img(11, rgba), img(12, ycc), img(13, pal), img(14, gray), img(15, premul)}
	data, err := encodeSamples(samples)
	if err != nil {
		t.Fatal(err)
	}
	got := packRoundTrip(t, samples)
	for i, s := range samples {
		g := got[i]
		if !sameBits(g.Values, s.Values) {
			t.Errorf("sample %d: values %v, want %v", s.ID, g.Values, s.Values)
		}
		if s.Image != nil {
			if !bytes.Equal(straightRGB(g.Image), straightRGB(s.Image)) {
				t.Errorf("sample %d: pixels %v, want %v", s.ID, straightRGB(g.Image), straightRGB(s.Image))
			}
			if g.Image.Bounds().Size() != s.Image.Bounds().Size() {
				t.Errorf("sample %d: %v pixels, want %v", s.ID, g.Image.Bounds().Size(), s.Image.Bounds().Size())
			}
		}
		gs, ss := *g, *s
		gs.Values, ss.Values, gs.Image, ss.Image = nil, nil, nil, nil
		if !reflect.DeepEqual(gs, ss) {
			t.Errorf("sample %d: %+v, want %+v", s.ID, gs, ss)
		}
	}
	// The encodings chosen: 2 bytes a value for ints, 4 for float32s.
	for _, c := range []struct {
		s    *dataset.Sample
		want string
	}{{ints, encInt16}, {f32, encFloat32}, {f64, encFloat64}, {negZero, encFloat32}, {big, encFloat32}} {
		var body bytes.Buffer
		if enc := packValues(&body, c.s.Values); enc != c.want {
			t.Errorf("sample %d: encoding %s, want %s", c.s.ID, enc, c.want)
		}
	}
	if _, err := decodeSamples(data[:len(data)/2]); !errors.Is(err, errPack) {
		t.Errorf("a truncated pack: %v, want errPack", err)
	}
}

// A pack of the datasets of the tests gives the same features: the
// gestures recordings (time series) and the digits (8×8 grey PNGs),
// through their impulses.
func TestSamplePackFeatures(t *testing.T) {
	for _, c := range []struct{ data, def string }{{"gestures", "gestures.json"}, {"digits", "digits.json"}} {
		ds, err := dataset.Load(testenv.Testdata(c.data))
		if err != nil {
			t.Fatal(err)
		}
		def, err := impulse.LoadDefinition(testenv.Testdata("impulses", c.def))
		if err != nil {
			t.Fatal(err)
		}
		train := ds.Category(dataset.CategoryTraining)
		got := packRoundTrip(t, train)
		features := func(samples []*dataset.Sample) []float64 {
			im, err := impulse.Compile(def, &dataset.Dataset{Dir: c.data, Samples: samples})
			if err != nil {
				t.Fatal(err)
			}
			f, err := im.GenerateFeatures(context.Background(), samples, &impulse.FeatureOptions{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			x, err := f.Learn(3)
			if err != nil {
				t.Fatal(err)
			}
			return x.RawMatrix().Data
		}
		a, b := features(train), features(got)
		if len(a) == 0 || !sameBits(a, b) {
			t.Errorf("%s: the features of the pack's samples differ from the dataset's (%d and %d values)", c.data, len(a), len(b))
		}
	}
}

// Malformed packs give errors wrapping errPack that say what is wrong.
func TestSamplePackErrors(t *testing.T) {
	pack := func(head string, body []byte) []byte {
		var raw bytes.Buffer
		raw.WriteString(packMagic)
		raw.Write(binary.AppendUvarint(nil, uint64(len(head))))
		raw.WriteString(head)
		raw.Write(body)
		return gzipBytes(t, raw.Bytes())
	}
	cases := []struct {
		data []byte
		want string
	}{
		{[]byte("not gzip"), "gzip"},
		{gzipBytes(t, []byte("something else")), "no pack header"},
		{pack(`{"samples":[{"id":1}]`, nil), "header"},
		{pack(`{"samples":[{"id":0,"intervalMs":1,"sensors":[{"name":"x"}],"values":1,"encoding":"i16"}]}`, []byte{0, 0}), "positive and unique"},
		{pack(`{"samples":[{"id":1,"intervalMs":1,"values":1,"encoding":"i16"}]}`, []byte{0, 0}), "without sensors"},
		{pack(`{"samples":[{"id":1,"intervalMs":-1,"sensors":[{"name":"x"}],"values":1,"encoding":"i16"}]}`, []byte{0, 0}), "interval -1"},
		{pack(`{"samples":[{"id":1,"intervalMs":1,"sensors":[{"name":"x"},{"name":"y"}],"values":3,"encoding":"i16"}]}`, make([]byte, 6)), "3 values for 2 sensors"},
		{pack(`{"samples":[{"id":1,"intervalMs":1,"sensors":[{"name":"x"}],"values":1,"encoding":"f16"}]}`, []byte{0, 0}), `encoding "f16"`},
		{pack(`{"samples":[{"id":1,"intervalMs":1,"sensors":[{"name":"x"}],"values":4,"encoding":"f64"}]}`, make([]byte, 31)), "4 values of 8 bytes, 31 bytes left"},
		{pack(`{"samples":[{"id":1,"intervalMs":1,"sensors":[{"name":"x"}],"values":1,"encoding":"i16"}]}`, make([]byte, 3)), "1 bytes after the last sample"},
		{pack(`{"samples":[{"id":1,"image":{"width":70000,"height":70000}}]}`, nil), "larger than"},
		{pack(`{"samples":[{"id":1,"image":{"width":2,"height":2,"color":true}}]}`, make([]byte, 11)), "12 pixel bytes, 11 left"},
		{pack(`{"samples":[{"id":1,"intervalMs":1,"sensors":[{"name":"x"}],"values":2,"encoding":"i16","labels":[{"label":"a","startIndex":0,"endIndex":0}]}]}`, make([]byte, 4)), "unlabelled"},
	}
	for _, c := range cases {
		_, err := decodeSamples(c.data)
		if !errors.Is(err, errPack) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want errPack saying %q", c.want, err, c.want)
		}
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// FuzzSamplePack: any bytes decode or give errPack, never panic, and the
// samples of a pack that decodes encode and decode again to the same.
func FuzzSamplePack(f *testing.F) {
	s := &dataset.Sample{ID: 2, Category: dataset.CategoryTraining, Label: "a", IntervalMs: 10,
		Sensors: []dataset.Sensor{{Name: "x"}, {Name: "y"}}, Values: []float64{1, 2.5, 0.1, -4}}
	g := image.NewGray(image.Rect(0, 0, 2, 1))
	for _, samples := range [][]*dataset.Sample{{s}, {{ID: 1, Image: g}}, nil} {
		data, err := encodeSamples(samples)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeSamples(data)
		if err != nil {
			if !errors.Is(err, errPack) {
				t.Fatalf("error %v does not wrap errPack", err)
			}
			return
		}
		again := packRoundTrip(t, got)
		for i := range got {
			if !sameBits(again[i].Values, got[i].Values) || got[i].Image != nil && !bytes.Equal(straightRGB(again[i].Image), straightRGB(got[i].Image)) {
				t.Fatalf("sample %d changed on a second round trip", got[i].ID)
			}
		}
	})
}
