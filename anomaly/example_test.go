package anomaly_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
)

// normalWindows returns n feature vectors of 3 features around two operating points.
func normalWindows(n int) *mat.Dense {
	r := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(n, 3, nil)
	for i := 0; i < n; i++ {
		base := []float64{1, 10, 0.5}
		if i%2 == 1 {
			base = []float64{3, 12, 0.9}
		}
		for j, b := range base {
			x.Set(i, j, b*(1+0.02*r.NormFloat64()))
		}
	}
	return x
}

func ExampleFitKMeans() {
	x := normalWindows(400)
	km, err := anomaly.FitKMeans(context.Background(), anomaly.KMeansConfig{ClusterCount: 4}, x, 1)
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range [][]float64{{1, 10, 0.5}, {3, 12, 0.9}, {2, 11, 0.7}, {1, 10, 0.9}} {
		s := km.Score(w)
		fmt.Printf("%v: score %5.2f, anomaly %t\n", w, s, s > km.Threshold())
	}
	// Output:
	// [1 10 0.5]: score -0.48, anomaly false
	// [3 12 0.9]: score -0.47, anomaly false
	// [2 11 0.7]: score  0.99, anomaly true
	// [1 10 0.9]: score  1.38, anomaly true
}

func ExampleFitGMM() {
	x := normalWindows(400)
	g, err := anomaly.FitGMM(context.Background(), anomaly.GMMConfig{ClusterCount: 2, Axes: []int{0, 1}}, x, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d EM iterations, converged %t\n", g.Iterations(), g.Converged())
	for _, w := range [][]float64{{1, 10, 0.5}, {2, 11, 0.7}} {
		fmt.Printf("%v: score %.1f\n", w, g.Score(w))
	}
	// Output:
	// 2 EM iterations, converged true
	// [1 10 0.5]: score 1.4
	// [2 11 0.7]: score 108.5
}

func ExampleKMeans_Metadata() {
	x := normalWindows(400)
	km, err := anomaly.FitKMeans(context.Background(), anomaly.KMeansConfig{ClusterCount: 2, Axes: []int{0, 1}}, x, 1)
	if err != nil {
		log.Fatal(err)
	}
	md := km.Metadata(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	fmt.Println("axes", md.Axes, "clusters", len(md.Clusters), "threshold", md.Thresholds[0].Key, md.Thresholds[0].Value)
	// Output:
	// axes [0 1] clusters 2 threshold min_anomaly_score 0.3
}

func ExampleLoad() {
	x := normalWindows(200)
	g, err := anomaly.FitGMM(context.Background(), anomaly.GMMConfig{ClusterCount: 2}, x, 7)
	if err != nil {
		log.Fatal(err)
	}
	data, err := g.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	m, err := anomaly.Load(data)
	if err != nil {
		log.Fatal(err)
	}
	w := []float64{2, 11, 0.7}
	fmt.Println(m.BlockType(), m.Score(w) == g.Score(w))
	_, err = anomaly.Load(data[:len(data)-1])
	fmt.Println(err != nil)
	// Output:
	// anomaly-gmm true
	// true
}
