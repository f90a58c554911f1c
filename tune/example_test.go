package tune_test

import (
	"context"
	"fmt"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/tune"
)

// A search space in the EON Tuner's JSON: every list is a set of values
// to choose from.
func ExampleParseSpace() {
	s, err := tune.ParseSpace([]byte(`[{
	  "inputBlocks": [{"type": "time-series", "windowSizeMs": [1000, 2000], "windowIncreasePct": [0.5]}],
	  "dspBlocks": [{"type": "spectral-analysis", "fft-length": [16, 64]}, {"type": "raw"}],
	  "learnBlocks": [[{"type": "keras", "architecture": "dense", "denseLayers": [[20, 10], [40]], "learningRate": [0.001, 0.005]}]]
	}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	in := s.Impulses[0].Input[0]
	fmt.Println("windows:", in.Windows)
	fmt.Println("processing blocks:", len(s.Impulses[0].DSP))
	_, err = tune.ParseSpace([]byte(`[{"inputBlocks": [], "dspBlocks": [{"type": "raw", "fft-length": 16}], "learnBlocks": []}]`))
	fmt.Println(err)
	// Output:
	// windows: [{1000 500} {2000 1000}]
	// processing blocks: 2
	// tune: search space: [0].dspBlocks[0].fft-length: raw has no parameter "fft-length"
}

// A budget bounds a candidate's estimate.
func ExampleBudget_Fits() {
	b := tune.Budget{LatencyMs: 100, RAMBytes: 64 << 10}
	for _, e := range []tune.Estimate{{LatencyMs: 20, RAM: 30 << 10, ROM: 500 << 10}, {LatencyMs: 20, RAM: 70 << 10}} {
		ok, why := b.Fits(e)
		fmt.Printf("%v %q\n", ok, why)
	}
	// Output:
	// true ""
	// false "RAM 70.0K over 64.0K"
}

// A short search of the synthetic gestures: six trials of a small space,
// on one worker, without training the picks. The recordings were made
// with the board tilted a little differently each time, so the held-out
// windows are scored turned as well, and the spectral features, which do
// not see gravity, win over flatten's means.
func ExampleSearch() {
	ds, err := dataset.Load("../testdata/gestures")
	if err != nil {
		fmt.Println(err)
		return
	}
	space, err := tune.ParseSpace([]byte(`[{
	  "inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 2000, "windowIncreaseMs": 500}]}],
	  "dspBlocks": [{"type": "spectral-analysis", "fft-length": [16, 32]}, {"type": "flatten"}],
	  "learnBlocks": [[{"architecture": "dense", "denseLayers": [[10], [20]], "learningRate": [0.005, 0.02], "trainingCycles": [10, 20]}]]
	}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := tune.Search(context.Background(), ds, tune.Options{Space: space, Trials: 6, Workers: 1, Seed: 1, Picks: -1,
		Budget: tune.Budget{LatencyMs: 100, RAMBytes: 64 << 10, ROMBytes: 256 << 10}})
	if err != nil {
		fmt.Println(err)
		return
	}
	best := res.Trial(res.Chosen)
	fmt.Printf("%d trials; chosen #%d: %s\n", len(res.Trials), best.ID, best.Description)
	fmt.Printf("validation accuracy %.3f (int8), %.1f ms\n", best.Int8.Accuracy, best.Estimate.LatencyMs)
	// Output:
	// 6 trials; chosen #1: 2000/500ms spectral-analysis fft-length=16 → d20 lr=0.005 ep=20 bs=32
	// validation accuracy 1.000 (int8), 13.3 ms
}

// How differently the device was turned from one recording to the next
// decides whether the tuner scores networks on turned windows too: the
// synthetic gestures were recorded with some tilt, the synthetic fan's
// sensor is bolted down.
func ExampleOrientationSpread() {
	for _, name := range []string{"gestures", "vibration"} {
		ds, err := dataset.Load("../testdata/" + name)
		if err != nil {
			fmt.Println(err)
			return
		}
		spread, ok := tune.OrientationSpread(ds.Category(dataset.CategoryTraining))
		fmt.Printf("%s: %.1f° (%v), turned validation: %v\n", name, spread, ok, ok && spread >= tune.SpreadDegrees)
	}
	// Output:
	// gestures: 7.6° (true), turned validation: true
	// vibration: 0.0° (true), turned validation: false
}
