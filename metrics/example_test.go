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
