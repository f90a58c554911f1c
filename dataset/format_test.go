package dataset

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// samplesDir holds the hand-made files of testdata/impulse/make_samples.py.
var samplesDir = filepath.Join("..", "testdata", "impulse", "samples")

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The expected values are those make_samples.py writes.
func TestDecodeSampleFormats(t *testing.T) {
	t.Parallel()
	acc := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5}
	accSensors := []Sensor{{"accX", "m/s2"}, {"accY", "m/s2"}, {"accZ", "m/s2"}}
	cases := []struct {
		file       string
		intervalMs float64
		sensors    []Sensor
		values     []float64
		device     string
	}{
		{"acc.json", 10, accSensors, acc, "HANDMADE"},
		{"acc.cbor", 10, accSensors, acc, "HANDMADE"},
		{"signed.json", 20, []Sensor{{"temp", "Cel"}}, []float64{0.5, -1.25, 3}, "HANDMADE"},
		{"signed.cbor", 20, []Sensor{{"temp", "Cel"}}, []float64{0.5, -1.25, 3}, "HANDMADE"},
		{"audio-binary.cbor", 0.0625, []Sensor{{"audio", "wav"}}, []float64{0, 1000, -1000, 32767, -32768, 1, -1}, "HANDMADE"},
		{"acc.csv", 10, []Sensor{{Name: "accX"}, {Name: "accY"}}, []float64{1.5, -2, 2.5, -3, 3.5, -4, 4.5, -5}, ""},
		{"tone.wav", 0.125, []Sensor{{"audio", "wav"}}, []float64{0, 100, -100, 32767, -32768, 1, -1, 0}, ""},
	}
	for _, c := range cases {
		s, err := DecodeSample(c.file, readSample(t, c.file))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if s.IntervalMs != c.intervalMs || !slices.Equal(s.Sensors, c.sensors) || !slices.Equal(s.Values, c.values) || s.DeviceType != c.device {
			t.Errorf("%s: got interval %v, sensors %v, values %v, device %q\nwant %v, %v, %v, %q",
				c.file, s.IntervalMs, s.Sensors, s.Values, s.DeviceType, c.intervalMs, c.sensors, c.values, c.device)
		}
		if want := strings.TrimSuffix(c.file, filepath.Ext(c.file)); s.Name != want || s.Path != c.file {
			t.Errorf("%s: name %q path %q", c.file, s.Name, s.Path)
		}
		if s.Len()*len(s.Sensors) != len(s.Values) {
			t.Errorf("%s: Len %d × %d sensors != %d values", c.file, s.Len(), len(s.Sensors), len(s.Values))
		}
	}
}

// The signed samples' signatures are real HS256 ones: recompute them the way
// the data acquisition format defines it (HMAC-SHA256 of the document with
// 64 '0' characters in place of the signature).
func TestSignedSampleSignature(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(readSample(t, "signed.json"), &doc); err != nil {
		t.Fatal(err)
	}
	sig := doc["signature"].(string)
	for _, name := range []string{"signed.json", "signed.cbor"} {
		data := readSample(t, name)
		if name == "signed.cbor" {
			s := bytes.Index(data, []byte("signature"))
			sig = string(data[s+len("signature")+2 : s+len("signature")+2+64])
		}
		zeroed := bytes.Replace(data, []byte(sig), bytes.Repeat([]byte("0"), 64), 1)
		mac := hmac.New(sha256.New, []byte("tinyimpulse-test-key"))
		mac.Write(zeroed)
		if got := hex.EncodeToString(mac.Sum(nil)); got != sig {
			t.Errorf("%s: fixture signature %s, recomputed %s", name, sig, got)
		}
		if s, err := DecodeSample(name, data); err != nil || s.DeviceName != "ac:87:a3:0a:2d:1b" {
			t.Errorf("%s: %v, %v", name, s, err)
		}
	}
}

func TestDecodeImages(t *testing.T) {
	t.Parallel()
	s, err := DecodeSample("rgb.png", readSample(t, "rgb.png"))
	if err != nil {
		t.Fatal(err)
	}
	px := packed(t, s.Image, 4, 2)
	for y := range 2 {
		for x := range 4 {
			want := float64((10*x+100*y)<<16 | (20+x)<<8 | (200 - y))
			if got := px[y*4+x]; got != want {
				t.Errorf("rgb.png (%d,%d) = %06x, want %06x", x, y, int(got), int(want))
			}
		}
	}
	g, err := DecodeSample("gray.png", readSample(t, "gray.png"))
	if err != nil {
		t.Fatal(err)
	}
	px = packed(t, g.Image, 3, 3)
	for i, v := range px {
		y := 30 * i
		if want := float64(y<<16 | y<<8 | y); v != want {
			t.Errorf("gray.png pixel %d = %06x, want %06x", i, int(v), int(want))
		}
	}
	j, err := DecodeSample("solid.JPG", readSample(t, "solid.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	px = packed(t, j.Image, 8, 8)
	for _, v := range px {
		r, gg, b := int(v)>>16, int(v)>>8&255, int(v)&255
		if abs(r-200) > 3 || abs(gg-40) > 3 || abs(b-90) > 3 {
			t.Fatalf("solid.jpg pixel (%d,%d,%d), want about (200,40,90)", r, gg, b)
		}
	}
}

// packed returns the pixels of a w×h image as 0xRRGGBB values, row by row.
func packed(t *testing.T, img image.Image, w, h int) []float64 {
	t.Helper()
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("image is %d×%d, want %d×%d", b.Dx(), b.Dy(), w, h)
	}
	var out []float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, float64(int(r>>8)<<16|int(g>>8)<<8|int(bl>>8)))
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Every truncation of every sample file is an error naming the file (or, for
// the few prefixes that are themselves complete files, a valid sample).
func TestTruncatedSamples(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"acc.json", "acc.cbor", "signed.json", "signed.cbor", "audio-binary.cbor", "acc.csv", "tone.wav", "rgb.png", "solid.jpg"} {
		data := readSample(t, name)
		for n := 0; n < len(data); n++ {
			s, err := DecodeSample(name, data[:n])
			if err == nil {
				checkSample(t, name, s)
				// A CSV cut after a complete row, a binary payload cut at a
				// value boundary or a WAV... must still be consistent.
				if !strings.HasSuffix(name, ".csv") && !(name == "audio-binary.cbor" && (n-212)%2 == 0) {
					t.Errorf("%s cut to %d of %d bytes: no error", name, n, len(data))
				}
				continue
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != name || !strings.Contains(err.Error(), name) {
				t.Errorf("%s cut to %d bytes: error %q does not name the file", name, n, err)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("%s cut to %d bytes: error %q does not wrap ErrFormat", name, n, err)
			}
		}
	}
}

// checkSample checks the invariants of a decoded time series.
func checkSample(t *testing.T, name string, s *Sample) {
	t.Helper()
	if s.Image != nil {
		return
	}
	if len(s.Sensors) == 0 || len(s.Values) == 0 || len(s.Values)%len(s.Sensors) != 0 {
		t.Fatalf("%s: %d sensors, %d values", name, len(s.Sensors), len(s.Values))
	}
	if !(s.IntervalMs > 0) || math.IsInf(s.IntervalMs, 0) {
		t.Fatalf("%s: interval %v", name, s.IntervalMs)
	}
	for _, v := range s.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%s: value %v", name, v)
		}
	}
}

func TestMalformedSamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data, want string
	}{
		{"a.json", `{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":["ref-1"]}}`, "attachments"},
		{"a.json", `{"payload":{"interval_ms":10,"sensors":[{"name":"x"},{"name":"y"}],"values":[[1,2],[3]]}}`, "values[1] has 1 values, want 2"},
		{"a.json", `{"payload":{"sensors":[{"name":"x"}],"values":[1]}}`, "interval_ms is missing"},
		{"a.json", `{"payload":{"interval_ms":0,"sensors":[{"name":"x"}],"values":[1]}}`, "interval_ms is 0"},
		{"a.json", `{"payload":{"interval_ms":10,"sensors":[],"values":[1]}}`, "sensors is missing or empty"},
		{"a.json", `{"payload":{"interval_ms":10,"sensors":[{"name":"x"},{"name":"x"}],"values":[[1,2]]}}`, "duplicate sensor name"},
		{"a.json", `{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[]}}`, "values is empty"},
		{"a.json", `{"payload":{"interval_ms":10,"sensors":[{"name":"x"},{"name":"y"}],"values":[1,2]}}`, "flat array but there are 2 sensors"},
		{"a.json", `{"protected":{"alg":"RS256"},"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[1]}}`, "alg"},
		{"a.json", `{"payload":{"interval_ms":"10"}}`, "interval_ms"},
		{"a.json", `[1,2]`, "not a data acquisition JSON"},
		{"a.json", `{"payload":{"interval_ms":10,"sensors":[{"name":"x"}],"values":[1]}} x`, "not a data acquisition JSON"},
		{"a.cbor", "\xa1\x67payload\xa0", "values is missing"},
		{"a.cbor", "\x82\x01\x02", "not a map"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00", "is NaN"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\x01\x00", "1 bytes after"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\x6eRef-Binary-q16", "unknown binary payload type"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\x6eRef-Binary-i16\x01\x02\x03", "not a whole number"},
		// Wrong types are named (and null is unset) as in JSON.
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x05\x66values\x81\x01", "payload.sensors[0].name is not a text string"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\xa0\x66values\x81\x01", "payload.sensors is not an array"},
		{"a.cbor", "\xa2\x69protected\xa1\x63alg\x01\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\x01", "protected.alg is not a text string"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\xf6\x67sensors\x81\xa1\x64name\x61x\x66values\x81\x01", "payload.interval_ms is missing"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x61x\x67sensors\x81\xa1\x64name\x61x\x66values\x81\x01", "payload.interval_ms is not a number"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\x01\x66values\x81\x01", "payload.sensors[0] is not a map"},
		{"a.cbor", "\xa1\x67payload\x81\x01", "payload is not a map"},
		{"a.cbor", "\xa1\x67PAYLOAD\xa0", "no payload map"}, // keys match exactly
		{"a.cbor", "", "empty"},
		// A key given twice is an error, named by the map's path.
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa2\x64name\x61x\x64name\x61y\x66values\x81\x01", `payload.sensors[0] has the key "name" twice`},
		{"a.cbor", "\xa2\x67payload\xa0\x67payload\xa0", `the CBOR data item has the key "payload" twice`},
		// Integer keys are ignored (they name no field); other keys are errors.
		{"a.cbor", "\xa1\x67payload\xa4\x01\x02\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x80", "payload.values is empty"},
		{"a.cbor", "\xa1\x67payload\xa4\xf9\x3c\x00\x02\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\x01", "payload has a map key that is not a text string or an integer"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x82\x01\x61x", "payload.values[1] is a string"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x82\xa1\x64name\x61x\xa1\x64name\x61y\x66values\x82\x82\x01\x02\x81\x03", "payload.values[1] has 1 values, want 2"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\xc1\x01", "payload.values[0] is tagged"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\xf0", "simple value 16"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\xc2\x41\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\x01", "bignum"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x62\xc3\x28\x66values\x81\x01", "invalid UTF-8"},
		{"a.cbor", "\xa2\x65extra" + strings.Repeat("\x81", 64) + "\x00\x67payload\xa0", "max nested level 64"},
		{"a.cbor", "\xa1\x67payload\xa3\x6binterval_ms\x0a\x67sensors\x81\xa1\x64name\x61x\x66values\x81\x01\xff", "1 bytes after"},
		{"a.csv", "", "empty CSV"},
		{"a.csv", "time,x\n0,1\n", "at least 2 are needed"},
		{"a.csv", "ts,x\n0,1\n1,2\n", `first column is "ts"`},
		{"a.csv", "timestamp,x\n0,1\n0,2\n", "does not increase"},
		{"a.csv", "timestamp,x\n0,1\n1,\n", `column "x": empty value`},
		{"a.csv", "timestamp,x\n0,1\n1,abc\n", "not a number"},
		{"a.csv", "timestamp,x\n0,1\n1,2,3\n", "wrong number of fields"},
		{"a.csv", "timestamp,x,x\n0,1,1\n1,2,2\n", "duplicate column"},
		{"a.csv", "timestamp,x\n-1e308,1\n1e308,2\n", "no usable interval"},
		{"a.wav", "RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x03\x00\x01\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x04\x00\x20\x00data\x04\x00\x00\x00\x00\x00\x00\x00", "not PCM"},
		{"a.wav", "RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x04\x00\x10\x00data\x04\x00\x00\x00\x00\x00\x00\x00", "2 channels"},
		{"a.wav", "RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x01\x00\x08\x00data\x04\x00\x00\x00\x00\x00\x00\x00", "8 bits"},
		{"a.wav", "RIFF\x00\x00\x00\x00WAVEdata\x04\x00\x00\x00\x00\x00\x00\x00", "before the fmt chunk"},
		{"a.wav", "RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00data\x08\x00\x00\x00\x00\x00", "header says 8 bytes, file has 2"},
		{"a.wav", "RIFX\x00\x00\x00\x00WAVE", "not a RIFF WAVE"},
		{"a.png", "\x89PNG\r\n\x1a\n", "cannot decode image"},
		{"a.mp4", "x", "unsupported file type"},
	}
	for _, c := range cases {
		_, err := DecodeSample(c.name, []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s %q: error %v, want one naming the file and containing %q", c.name, c.data, err, c.want)
		}
	}
}

// fuzzSample is the property all the format fuzzers check: no panic, and a
// successful decode gives a consistent sample.
func fuzzSample(t *testing.T, name string, data []byte) {
	s, err := DecodeSample(name, data)
	if err != nil {
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("error %v does not wrap ErrFormat", err)
		}
		return
	}
	checkSample(t, name, s)
}

func FuzzDecodeJSON(f *testing.F) {
	for _, n := range []string{"acc.json", "signed.json"} {
		f.Add(readSample(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzSample(t, "f.json", data) })
}

func FuzzDecodeCBOR(f *testing.F) {
	for _, n := range []string{"acc.cbor", "signed.cbor", "audio-binary.cbor"} {
		f.Add(readSample(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzSample(t, "f.cbor", data) })
}

func FuzzDecodeCSV(f *testing.F) {
	f.Add(readSample(f, "acc.csv"))
	f.Add([]byte("timestamp,a\n0,1\n1e300,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzSample(t, "f.csv", data) })
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(readSample(f, "tone.wav"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzSample(t, "f.wav", data) })
}
