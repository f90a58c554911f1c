package metrics

import (
	"fmt"
	"io"
	"strconv"

	"github.com/tinyimpulse/tinyimpulse/internal/table"
)

func f2(v float64) string  { return strconv.FormatFloat(v, 'f', 2, 64) }
func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }
func itoa(v int) string    { return strconv.Itoa(v) }

// WriteTable writes the confusion matrix (rows actual, columns predicted,
// under the predicted labels) with every class's precision, recall, F1
// score and support, followed by accuracy, loss, ROC AUC and the weighted
// averages. When that is wider than table.Width it keeps F1 and support
// only, then numbers the columns (row "3 idle" is column 3), and finally
// gives per-class figures with the class each is most often mistaken for.
func (c *Classification) WriteTable(w io.Writer) error {
	labels := c.Confusion.Labels
	per := c.Confusion.PerClass()
	matrix := func(numbered, prf bool) table.Layout {
		l := table.Layout{Header: []string{"actual"}, Left: 1}
		for i, lb := range labels {
			if numbered {
				lb = itoa(i + 1)
			}
			l.Header = append(l.Header, lb)
		}
		if prf {
			l.Header = append(l.Header, "precision", "recall", "F1", "support")
		} else {
			l.Header = append(l.Header, "F1", "n")
		}
		for i, lb := range labels {
			if numbered {
				lb = itoa(i+1) + " " + lb
			}
			row := []string{lb}
			for j := range labels {
				row = append(row, itoa(c.Confusion.At(i, j)))
			}
			s := per[i]
			if prf {
				row = append(row, f2(s.Precision), f2(s.Recall))
			}
			l.Rows = append(l.Rows, append(row, f2(s.F1), itoa(s.Support)))
		}
		return l
	}
	perClass := table.Layout{Header: []string{"actual", "precision", "recall", "F1", "support", "mostly mistaken for"}, Left: 1}
	for i, lb := range labels {
		worst, most := "", 0
		for j := range labels {
			if j != i && c.Confusion.At(i, j) > most {
				worst, most = labels[j], c.Confusion.At(i, j)
			}
		}
		if most > 0 {
			worst = fmt.Sprintf("%s (%d)", worst, most)
		}
		s := per[i]
		perClass.Rows = append(perClass.Rows, []string{lb, f2(s.Precision), f2(s.Recall), f2(s.F1), itoa(s.Support), worst})
	}
	auc := "n/a (a class is missing)"
	if c.HasROCAUC {
		auc = f2(c.ROCAUC)
	}
	wa := c.Report.WeightedAvg
	return table.Write(w, fmt.Sprintf("Confusion matrix (%d windows; rows actual, columns predicted)", c.Confusion.Total()),
		[]string{fmt.Sprintf("Accuracy %s, loss %.4f, ROC AUC %s", pct(c.Report.Accuracy), c.Loss, auc),
			fmt.Sprintf("Weighted average: precision %s, recall %s, F1 %s", f2(wa.Precision), f2(wa.Recall), f2(wa.F1))},
		matrix(false, true), matrix(false, false), matrix(true, false), perClass)
}

// WriteTable writes the model-testing matrix (rows expected, columns
// results including uncertain and anomaly) with each row's accuracy,
// followed by the overall figures. When that is wider than table.Width it
// shortens the extra columns, then numbers the label columns, and finally
// counts each row's windows as correct, uncertain, anomaly or other.
func (s *TestSummary) WriteTable(w io.Writer) error {
	nc := len(s.Columns)
	per := s.PerClass()
	accuracy := func(i int) string {
		c := per[i]
		if c.Good+c.Bad == 0 {
			return "-"
		}
		return pct(float64(c.Good) / float64(c.Good+c.Bad))
	}
	isLabel := func(l string) bool { return l != Uncertain && l != Anomaly }
	matrix := func(short, numbered bool) table.Layout {
		l := table.Layout{Header: []string{"expected"}, Left: 1}
		num := map[string]int{}
		for i, r := range s.Rows {
			num[r] = i + 1
		}
		for _, c := range s.Columns {
			switch {
			case numbered && isLabel(c):
				c = itoa(num[c])
			case short && c == Uncertain:
				c = "unc."
			case short && c == Anomaly:
				c = "anom."
			}
			l.Header = append(l.Header, c)
		}
		if short {
			l.Header = append(l.Header, "acc.")
		} else {
			l.Header = append(l.Header, "accuracy")
		}
		for i, r := range s.Rows {
			if numbered && isLabel(r) {
				r = itoa(i+1) + " " + r
			}
			row := []string{r}
			for j := range nc {
				row = append(row, itoa(s.Counts[i*nc+j]))
			}
			l.Rows = append(l.Rows, append(row, accuracy(i)))
		}
		return l
	}
	perRow := table.Layout{Header: []string{"expected", "windows", "correct", "uncertain", "anomaly", "other", "accuracy"}, Left: 1}
	for i, r := range s.Rows {
		var total, unc, anom, good int
		for j, c := range s.Columns {
			v := s.Counts[i*nc+j]
			total += v
			switch c {
			case r:
				good += v
			case Uncertain:
				unc += v
			case Anomaly:
				anom += v
			}
		}
		perRow.Rows = append(perRow.Rows, []string{r, itoa(total), itoa(good), itoa(unc), itoa(anom), itoa(total - good - unc - anom), accuracy(i)})
	}
	g, b := s.Total()
	notes := []string{fmt.Sprintf("Accuracy %s (%d good, %d bad), balanced accuracy %s", pct(s.Accuracy()), g, b, pct(s.BalancedAccuracy()))}
	if a, ok := s.AnomalyAccuracy(); ok {
		notes = append(notes, "Anomalies detected "+pct(a))
	}
	if a, ok := s.NoAnomalyAccuracy(); ok {
		notes = append(notes, "Normal windows not flagged "+pct(a))
	}
	if s.Ignored > 0 {
		notes = append(notes, fmt.Sprintf("%d window(s) with a label unknown to the model ignored", s.Ignored))
	}
	return table.Write(w, fmt.Sprintf("Model testing (%d windows; rows expected, columns result)", g+b), notes,
		matrix(false, false), matrix(true, false), matrix(true, true), perRow)
}
