package metrics_test

import (
	"fmt"
	"os"

	"github.com/tinyimpulse/tinyimpulse/metrics"
	"gonum.org/v1/gonum/mat"
)

func ExampleEvaluateClassification() {
	labels := []string{"idle", "snake", "wave"}
	actual := []int{0, 0, 1, 1, 2, 2}
	scores := mat.NewDense(6, 3, []float64{
		0.8, 0.1, 0.1,
		0.4, 0.5, 0.1,
		0.1, 0.8, 0.1,
		0.2, 0.7, 0.1,
		0.1, 0.2, 0.7,
		0.3, 0.1, 0.6,
	})
	c, err := metrics.EvaluateClassification(labels, actual, scores)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("accuracy %.3f, loss %.3f, ROC AUC %.3f\n", c.Report.Accuracy, c.Loss, c.ROCAUC)
	for _, m := range c.AdditionalMetrics() {
		fmt.Printf("%s: %s\n", m.Name, m.Value)
	}
	// Output:
	// accuracy 0.833, loss 0.431, ROC AUC 1.000
	// Area under ROC Curve: 1.00
	// Weighted average Precision: 0.89
	// Weighted average Recall: 0.83
	// Weighted average F1 score: 0.82
}

func ExampleClassification_WriteTable() {
	c, _ := metrics.EvaluateClassification([]string{"no", "yes"}, []int{0, 0, 1, 1},
		mat.NewDense(4, 2, []float64{0.9, 0.1, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6}))
	c.WriteTable(os.Stdout)
	// Output:
	// Confusion matrix (4 windows; rows actual, columns predicted)
	// +--------+----+-----+-----------+--------+------+---------+
	// | actual | no | yes | precision | recall |   F1 | support |
	// +--------+----+-----+-----------+--------+------+---------+
	// | no     |  1 |   1 |      1.00 |   0.50 | 0.67 |       2 |
	// | yes    |  0 |   2 |      0.67 |   1.00 | 0.80 |       2 |
	// +--------+----+-----+-----------+--------+------+---------+
	// Accuracy 75.0%, loss 0.5108, ROC AUC 0.75
	// Weighted average: precision 0.83, recall 0.75, F1 0.73
}

func ExampleNewTestSummary() {
	s, _ := metrics.NewTestSummary([]string{"idle", "wave"}, false,
		[]string{"idle", "idle", "idle", "wave", "wave"},
		[]string{"idle", "uncertain", "idle", "wave", "idle"})
	a := s.Studio()
	fmt.Println(a.TotalSummary, *a.AccuracyScore, *a.BalancedAccuracyScore)
	fmt.Println(a.ConfusionMatrixValues["idle"])
	// Output:
	// {3 2} 0.6 0.5833333333333333
	// map[idle:2 uncertain:1 wave:0]
}

func ExampleAnomalyAUC() {
	auc, _ := metrics.AnomalyAUC(
		[]string{"idle", "anomaly", "wave", "anomaly"},
		[]float64{0.1, 0.9, 0.3, 0.3})
	fmt.Println(auc)
	// Output:
	// 0.875
}

func ExampleProfileNetwork() {
	// A small int8 network for 33 spectral features.
	net := &metrics.Network{
		DType: metrics.Int8,
		Input: []int{33},
		Ops: []metrics.Op{
			{Kind: metrics.FullyConnected, Output: []int{20}, WeightBytes: 33 * 20, BiasBytes: 4 * 20},
			{Kind: metrics.FullyConnected, Output: []int{10}, WeightBytes: 20 * 10, BiasBytes: 4 * 10},
			{Kind: metrics.FullyConnected, Output: []int{4}, WeightBytes: 10 * 4, BiasBytes: 4 * 4},
			{Kind: metrics.Softmax, Output: []int{4}},
		},
	}
	p, err := metrics.ProfileNetwork(net, metrics.ProfileConfig{Target: "nordic-nrf52840-dk"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %.0f MACs, %.3f ms\n", p.Target.Name, p.MACs, p.LatencyMs)
	fmt.Printf("TFLite Micro: arena %d B, RAM %d B, ROM %d B\n", p.TFLite.Arena, p.TFLite.RAM, p.TFLite.ROM)
	fmt.Printf("EON:          arena %d B, RAM %d B, ROM %d B\n", p.EON.Arena, p.EON.RAM, p.EON.ROM)
	// Output:
	// Nordic nRF52840 DK (Cortex-M4F 64MHz): 900 MACs, 0.151 ms
	// TFLite Micro: arena 1248 B, RAM 1776 B, ROM 35211 B
	// EON:          arena 364 B, RAM 672 B, ROM 19905 B
}

func ExampleProfileDSP() {
	// MFCC of one second of 16 kHz audio: 50 frames of 20 ms.
	p, err := metrics.ProfileDSP(metrics.DSPBlock{Kind: metrics.DSPMFCC, Frames: 50, FrameLength: 320,
		FFTLength: 256, Filters: 32, Coefficients: 13}, metrics.ProfileConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2fM cycles, %+v\n", p.Cycles/1e6, p.Performance())
	// Output:
	// 13.83M cycles, {Latency:173 RAM:14204 CustomDSPString:}
}
