package report_test

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/report"
)

// ExampleWrite renders a report from hand-made data: a two-class model's
// validation confusion matrix and its training curves.
func ExampleWrite() {
	nan := math.NaN()
	d := &report.Data{
		Title: "Two classes",
		Training: []report.Training{{Block: "NN Classifier", BestEpoch: 3, Epochs: []report.Epoch{
			{Loss: 0.9, Accuracy: 0.55, ValLoss: 0.8, ValAccuracy: 0.6},
			{Loss: 0.5, Accuracy: 0.8, ValLoss: 0.45, ValAccuracy: 0.85},
			{Loss: 0.3, Accuracy: 0.9, ValLoss: 0.35, ValAccuracy: 0.9},
			{Loss: 0.25, Accuracy: 0.93, ValLoss: 0.4, ValAccuracy: nan},
		}}},
		Validation: []report.Validation{{Block: "NN Classifier", ModelType: "int8", Selected: true, Accuracy: 0.9, Loss: 0.3,
			Matrix: report.Matrix{Rows: []string{"no", "yes"}, Columns: []string{"no", "yes"}, Counts: []int{9, 1, 1, 9}}}},
	}
	var b strings.Builder
	if err := report.Write(&b, d); err != nil {
		fmt.Println(err)
		return
	}
	page := b.String()
	for _, m := range regexp.MustCompile(`<title id="[^"]+">([^<]*)</title>`).FindAllStringSubmatch(page, -1) {
		fmt.Println(m[1])
	}
	fmt.Println(strings.Contains(page, "Validation accuracy (int8)</div><div class=\"v\">90.0%"))
	// Output:
	// NN Classifier: loss per epoch
	// NN Classifier: accuracy per epoch
	// NN Classifier, int8: validation
	// true
}
