// Command gestures runs Edge Impulse's spectral analysis block over
// synthetic accelerometer recordings of four gestures (idle, circle,
// updown, flick), as a continuous-motion impulse would, and prints what the
// features look like: their shape and labels, the cost of a window, and how
// well a nearest-centroid rule separates the gestures on them.
//
// It needs no arguments and no data: the recordings are generated
// deterministically. (The full pipeline, training a network and an anomaly
// block, arrives with the impulse package.)
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

const (
	frequencyHz = 62.5
	windowMs    = 2000
	strideMs    = 250
	recordingS  = 10
)

var gestures = []string{"idle", "circle", "updown", "flick"}

// record synthesises one 10 s, 3-axis recording of a gesture in m/s²,
// interleaved x, y, z.
func record(gesture string, rnd *rand.Rand) []float64 {
	n := int(recordingS * frequencyHz)
	x := make([]float64, 3*n)
	f := 0.8 + 0.4*rnd.Float64() // gesture tempo, Hz
	phase := rnd.Float64() * 2 * math.Pi
	for i := range n {
		t := float64(i) / frequencyHz
		var ax, ay, az float64
		switch gesture {
		case "idle":
		case "circle":
			ax = 6 * math.Cos(2*math.Pi*f*t+phase)
			ay = 6 * math.Sin(2*math.Pi*f*t+phase)
		case "updown":
			az = 8 * math.Sin(2*math.Pi*1.5*f*t+phase)
		case "flick":
			// A sharp flick about once a second.
			p := math.Mod(t*f+phase, 1)
			ay = -18 * math.Exp(-p*p*400)
			ax = 9 * math.Exp(-(p-0.05)*(p-0.05)*400)
		}
		x[3*i] = ax + 0.3*rnd.NormFloat64()
		x[3*i+1] = ay + 0.3*rnd.NormFloat64()
		x[3*i+2] = 9.81 + az + 0.3*rnd.NormFloat64()
	}
	return x
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gestures:", err)
		os.Exit(1)
	}
}

func run() error {
	samples := int(windowMs * frequencyHz / 1000)
	stride := int(math.Round(strideMs * frequencyHz / 1000))
	blk, err := dsp.NewSpectral(dsp.DefaultSpectralConfig(), dsp.Input{FrequencyHz: frequencyHz, Axes: 3, Samples: samples})
	if err != nil {
		return err
	}
	out := blk.Output()
	fmt.Printf("Spectral analysis (version 4, Studio defaults) on %d ms windows of 3 axes at %g Hz:\n", windowMs, frequencyHz)
	fmt.Printf("  %d features per window (%s), %d per axis:\n", blk.NumFeatures(), out.Type, blk.NumFeatures()/3)
	fmt.Printf("  %s\n", strings.Join(blk.Labels(), ", "))

	// Features of every window of every recording: 8 recordings per
	// gesture, the first 6 for the centroids, the rest for testing.
	rnd := rand.New(rand.NewPCG(1, 2))
	type window struct {
		label int
		test  bool
		feats []float64
	}
	var windows []window
	var elapsed time.Duration
	for g, name := range gestures {
		for r := range 8 {
			rec := record(name, rnd)
			for start := 0; start+samples <= len(rec)/3; start += stride {
				t0 := time.Now()
				feats, err := blk.AppendFeatures(make([]float64, 0, blk.NumFeatures()), rec[3*start:3*(start+samples)])
				elapsed += time.Since(t0)
				if err != nil {
					return err
				}
				windows = append(windows, window{label: g, test: r >= 6, feats: feats})
			}
		}
	}
	fmt.Printf("  %d windows in %v (%.1f µs per window)\n\n", len(windows), elapsed.Round(time.Microsecond),
		float64(elapsed.Microseconds())/float64(len(windows)))

	// Nearest centroid on standardised features.
	dim := blk.NumFeatures()
	mean, std := make([]float64, dim), make([]float64, dim)
	var nTrain float64
	for _, w := range windows {
		if !w.test {
			nTrain++
			for i, v := range w.feats {
				mean[i] += v
				std[i] += v * v
			}
		}
	}
	for i := range mean {
		mean[i] /= nTrain
		std[i] = math.Sqrt(math.Max(std[i]/nTrain-mean[i]*mean[i], 1e-12))
	}
	cent := make([][]float64, len(gestures))
	counts := make([]float64, len(gestures))
	for g := range cent {
		cent[g] = make([]float64, dim)
	}
	for _, w := range windows {
		if !w.test {
			counts[w.label]++
			for i, v := range w.feats {
				cent[w.label][i] += (v - mean[i]) / std[i]
			}
		}
	}
	for g := range cent {
		for i := range cent[g] {
			cent[g][i] /= counts[g]
		}
	}
	confusion := make([][]int, len(gestures))
	for g := range confusion {
		confusion[g] = make([]int, len(gestures))
	}
	correct, total := 0, 0
	for _, w := range windows {
		if !w.test {
			continue
		}
		best, bestD := 0, math.Inf(1)
		for g := range cent {
			var d float64
			for i, v := range w.feats {
				e := (v-mean[i])/std[i] - cent[g][i]
				d += e * e
			}
			if d < bestD {
				best, bestD = g, d
			}
		}
		confusion[w.label][best]++
		total++
		if best == w.label {
			correct++
		}
	}
	fmt.Println("Nearest-centroid check on held-out recordings (rows: actual, columns: predicted):")
	fmt.Printf("  %-8s", "")
	for _, name := range gestures {
		fmt.Printf("%8s", name)
	}
	fmt.Println()
	for g, row := range confusion {
		fmt.Printf("  %-8s", gestures[g])
		for _, c := range row {
			fmt.Printf("%8d", c)
		}
		fmt.Println()
	}
	fmt.Printf("  accuracy %.1f%% on %d windows\n", 100*float64(correct)/float64(total), total)
	return nil
}
