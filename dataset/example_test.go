package dataset_test

import (
	"fmt"
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
