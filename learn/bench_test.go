package learn

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// benchNet builds Studio's default network for in with 4 classes, random
// weights and a trainer over n random windows.
func benchNet(b *testing.B, in Input, n int) (*Network, *trainer, []int) {
	b.Helper()
	net, err := build(DefaultConfig(in), in, 4, false)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	net.initParams(rng)
	tr := newTrainer(net, 32, 1)
	nf := in.Features()
	tr.nf = nf
	tr.xs = make([]float32, n*nf)
	for i := range tr.xs {
		tr.xs[i] = float32(rng.NormFloat64())
	}
	tr.y = make([]int, n)
	tr.sw = make([]float64, n)
	order := make([]int, n)
	for i := range n {
		tr.y[i] = rng.IntN(4)
		tr.sw[i] = 1
		order[i] = i
	}
	return net, tr, order
}

var (
	denseInput = Input{Kind: InputFlat, Width: 33}
	kwsInput   = Input{Kind: InputMFCC, Width: 50, Height: 13}
)

func benchTrain(b *testing.B, in Input, n int) {
	net, tr, order := benchNet(b, in, n)
	if parallel(net) { // as Train does
		tr.startPeer(1)
		defer tr.stop()
	}
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		for i := 0; i < n; i += 32 {
			tr.step(order[i:min(i+32, n)], 0.001)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "windows/s")
}

// BenchmarkTrainDense trains Studio's default dense network (33 → 20 → 10 → 4)
// for one epoch over 4,096 random windows at batch 32.
func BenchmarkTrainDense(b *testing.B) { benchTrain(b, denseInput, 4096) }

// BenchmarkTrainKWS trains Studio's default MFCC network (650 = 50×13 → conv1d 8 →
// conv1d 16 → 4) for one epoch over 2,048 random windows at batch 32.
func BenchmarkTrainKWS(b *testing.B) { benchTrain(b, kwsInput, 2048) }

func benchInfer(b *testing.B, in Input) {
	net, _, _ := benchNet(b, in, 1)
	x := make([]float64, in.Features())
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	b.Run("float32", func(b *testing.B) {
		dst := make([]float64, 4)
		b.ReportAllocs()
		for b.Loop() {
			dst, _ = net.Classify(dst, x)
		}
	})
	calib := mat.NewDense(1, len(x), x)
	q, err := Quantize(context.Background(), net, calib, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("int8", func(b *testing.B) {
		dst := make([]float64, 4)
		b.ReportAllocs()
		for b.Loop() {
			dst, _ = q.Classify(dst, x)
		}
	})
}

// BenchmarkInferDense classifies one window with the default dense network.
func BenchmarkInferDense(b *testing.B) { benchInfer(b, denseInput) }

// BenchmarkInferKWS classifies one window with the default MFCC network.
func BenchmarkInferKWS(b *testing.B) { benchInfer(b, kwsInput) }

// BenchmarkTrainImage trains Studio's default image network (conv2d 32 →
// conv2d 16 → 4, MaxNorm kernels) on 16×16 and 96×96 grayscale windows: one
// epoch over 1,024 and 128 random windows at batch 32.
func BenchmarkTrainImage(b *testing.B) {
	b.Run("16x16", func(b *testing.B) { benchTrain(b, Input{Kind: InputImage, Width: 16, Height: 16, Channels: 1}, 1024) })
	b.Run("96x96", func(b *testing.B) { benchTrain(b, Input{Kind: InputImage, Width: 96, Height: 96, Channels: 1}, 128) })
}
