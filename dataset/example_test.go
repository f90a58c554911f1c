package dataset_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/tinyimpulse/tinyimpulse/dataset"
)

var samples = filepath.Join("..", "testdata", "impulse", "samples")

// A data acquisition file, JSON or CBOR, gives one time series with its
// sensors, interval and values, interleaved by value.
func ExampleDecodeSample() {
	for _, name := range []string{"acc.json", "acc.cbor"} {
		data, err := os.ReadFile(filepath.Join(samples, name))
		if err != nil {
			fmt.Println(err)
			return
		}
		s, err := dataset.DecodeSample(name, data)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d values of %d axes every %v ms (%v Hz), first row %v\n", name, s.Len(), len(s.Sensors), s.IntervalMs, s.FrequencyHz(), s.Values[:3])
	}
	// Output:
	// acc.json: 4 values of 3 axes every 10 ms (100 Hz), first row [1 2 3]
	// acc.cbor: 4 values of 3 axes every 10 ms (100 Hz), first row [1 2 3]
}

// Load reads a dataset in Edge Impulse's export layout; a truncated file
// is an error naming it.
func ExampleLoad() {
	ds, err := dataset.Load(filepath.Join(samples, "dataset"))
	if err != nil {
		fmt.Println(err)
		return
	}
	train := ds.Category(dataset.CategoryTraining)
	fmt.Printf("%d samples, %d for training, labels %v\n", len(ds.Samples), len(train), dataset.Labels(train))

	_, err = dataset.DecodeSample("cut.json", []byte(`{"payload": {"interval_ms": 10, "sensors": [`))
	fmt.Println(err)
	// Output:
	// 4 samples, 3 for training, labels [idle wave]
	// dataset: cut.json: not a data acquisition JSON file: truncated: unexpected end of JSON input
}

// A sample turned a quarter turn about z, as if the board had been laid
// down rotated: x becomes y, y becomes −x, the other axes stay.
func ExampleSample_Rotated() {
	s := &dataset.Sample{Name: "updown.1", Label: "updown", IntervalMs: 10,
		Sensors: []dataset.Sensor{{Name: "accX"}, {Name: "accY"}, {Name: "accZ"}, {Name: "temp"}},
		Values:  []float64{1, 0, 9.8, 21, 0, 2, 9.8, 21}}
	fmt.Println(dataset.Triples(s.Sensors))
	r, err := s.Rotated(dataset.AxisAngle(0, 0, 1, math.Pi/2))
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, v := range r.Values {
		r.Values[i] = math.Round(v*1e9) / 1e9
	}
	fmt.Println(r.Values)
	// Output:
	// [[0 1 2]]
	// [0 1 9.8 21 -2 0 9.8 21]
}
