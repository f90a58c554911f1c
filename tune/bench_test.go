package tune

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// benchSpace is tinySpace with networks that take about 0.1 s to train.
const benchSpace = `[{
  "inputBlocks": [{"type": "time-series", "window": [{"windowSizeMs": 2000, "windowIncreaseMs": 250}, {"windowSizeMs": 1000, "windowIncreaseMs": 250}]}],
  "dspBlocks": [{"type": "spectral-analysis", "fft-length": [16, 32]}, {"type": "flatten"}],
  "learnBlocks": [[{"architecture": "dense", "denseLayers": [[64, 32], [128, 64]], "learningRate": [0.001, 0.005], "trainingCycles": [100, 150]}]]
}]`

// BenchmarkSearch measures the search's throughput, in trials per minute,
// on one and two workers: 16 trials of dense networks on
// testdata/gestures (no early stopping, no confirmation, no picks).
func BenchmarkSearch(b *testing.B) {
	ds := loadGestures(b)
	space, err := ParseSpace([]byte(benchSpace))
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			trials := 0
			begin := time.Now()
			for b.Loop() {
				res, err := Search(context.Background(), ds, Options{Space: space, Trials: 16, Workers: workers, Seed: 1,
					Picks: -1, Confirm: -1, DisableEarlyStopping: true})
				if err != nil {
					b.Fatal(err)
				}
				trials += len(res.Trials)
			}
			b.ReportMetric(float64(trials)/time.Since(begin).Minutes(), "trials/min")
		})
	}
}

// BenchmarkTune is the goal's benchmark: a search of TUNE_TIME (5m by
// default) on the dataset folder TUNE_DATA under a Cortex-M4F 80 MHz
// budget (TUNE_LATENCY ms, 64 KB RAM, 256 KB ROM; int8). It reports the
// chosen impulse's test accuracy, the trials run and the wall time; it
// runs only when TUNE_DATA is set:
//
//	TUNE_DATA=../../shared/datasets/gestures-magic-wand TUNE_LATENCY=100 \
//	    go test -run XXX -bench Tune -benchtime 1x -timeout 20m ./tune
func BenchmarkTune(b *testing.B) {
	dir := os.Getenv("TUNE_DATA")
	if dir == "" {
		b.Skip("TUNE_DATA names no dataset folder")
	}
	ds, err := dataset.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	limit := 5 * time.Minute
	if s := os.Getenv("TUNE_TIME"); s != "" {
		if limit, err = time.ParseDuration(s); err != nil {
			b.Fatal(err)
		}
	}
	latency := 100.0
	if s := os.Getenv("TUNE_LATENCY"); s != "" {
		if _, err := fmt.Sscan(s, &latency); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		begin := time.Now()
		cpu0 := cpuSeconds()
		res, err := Search(context.Background(), ds, Options{Time: limit, Target: "cortex-m4f-80mhz", ModelType: impulse.Int8,
			Budget: Budget{LatencyMs: latency, RAMBytes: 64 << 10, ROMBytes: 256 << 10}})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Picks) == 0 || res.Picks[0].Error != "" {
			b.Fatalf("no pick: %+v", res.Picks)
		}
		b.ReportMetric(res.Picks[0].Int8, "test-int8")
		completed, stopped := 0, 0
		for _, t := range res.Trials {
			switch t.Status {
			case StatusCompleted:
				completed++
			case StatusStopped:
				stopped++
			}
		}
		b.ReportMetric(float64(len(res.Trials)), "trials")
		b.ReportMetric(float64(completed), "completed")
		b.ReportMetric(float64(stopped), "stopped")
		b.ReportMetric(time.Since(begin).Seconds(), "wall-s")
		b.ReportMetric(cpuSeconds()-cpu0, "cpu-s")
		p := res.Picks[0]
		load, _ := os.ReadFile("/proc/loadavg")
		b.Logf("chosen trial %d: %s; validation int8 %.3f (float32 %.3f, ranked %.3f) over %d runs; trained with seed %d of %d (Studio's validation %.3f), picks took %.1f s; test int8 %.3f float32 %.3f; load average %s",
			p.ID, res.Trials[p.ID].Description, res.Trials[p.ID].MeanAccuracy(impulse.Int8), res.Trials[p.ID].MeanAccuracy(impulse.Float32),
			res.Trials[p.ID].RankAccuracy(impulse.Int8), 1+len(res.Trials[p.ID].Repeats),
			p.Seed, p.Seeds, p.Validation, p.Seconds, p.Int8, p.Float32, strings.TrimSpace(string(load)))
	}
}

// cpuSeconds is the CPU time the process has used (user and system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
