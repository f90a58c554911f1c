package metrics

// This file is the package's only user of tablewriter.

import (
	"fmt"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// writeTable writes an ASCII table with a title line above it and notes
// below. The first left columns are left-aligned, the others right-aligned.
func writeTable(w io.Writer, title string, left int, header []string, rows [][]string, notes ...string) error {
	if title != "" {
		if _, err := fmt.Fprintln(w, title); err != nil {
			return err
		}
	}
	align := make(tw.Alignment, len(header))
	for i := range align {
		align[i] = tw.AlignRight
	}
	for i := 0; i < left && i < len(align); i++ {
		align[i] = tw.AlignLeft
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithAlignment(align),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	h := make([]any, len(header))
	for i, v := range header {
		h[i] = v
	}
	t.Header(h...)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, n := range notes {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

func f2(v float64) string  { return strconv.FormatFloat(v, 'f', 2, 64) }
func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }
func itoa(v int) string    { return strconv.Itoa(v) }
func ms(v float64) string  { return strconv.Itoa(LatencyMillis(v)) + " ms" }
func bytesK(n int) string  { return kb(n) }

// WriteTable writes the confusion matrix (rows actual, columns predicted,
// under the predicted labels)
// with every class's precision, recall, F1 score and support, followed by
// accuracy, loss, ROC AUC and the weighted averages.
func (c *Classification) WriteTable(w io.Writer) error {
	labels := c.Confusion.Labels
	header := append([]string{"actual"}, labels...)
	header = append(header, "precision", "recall", "F1", "support")
	per := c.Confusion.PerClass()
	var rows [][]string
	for i, l := range labels {
		row := []string{l}
		for j := range labels {
			row = append(row, itoa(c.Confusion.At(i, j)))
		}
		s := per[i]
		rows = append(rows, append(row, f2(s.Precision), f2(s.Recall), f2(s.F1), itoa(s.Support)))
	}
	auc := "n/a (a class is missing)"
	if c.HasROCAUC {
		auc = f2(c.ROCAUC)
	}
	wa := c.Report.WeightedAvg
	return writeTable(w, fmt.Sprintf("Confusion matrix (%d windows; rows actual, columns predicted)", c.Confusion.Total()), 1, header, rows,
		fmt.Sprintf("Accuracy %s, loss %.4f, ROC AUC %s", pct(c.Report.Accuracy), c.Loss, auc),
		fmt.Sprintf("Weighted average: precision %s, recall %s, F1 %s", f2(wa.Precision), f2(wa.Recall), f2(wa.F1)))
}

// WriteTable writes the model-testing matrix (rows expected, columns
// results including uncertain and anomaly) with each row's accuracy,
// followed by the overall figures.
func (s *TestSummary) WriteTable(w io.Writer) error {
	header := append([]string{"expected"}, s.Columns...)
	header = append(header, "accuracy")
	nc := len(s.Columns)
	var rows [][]string
	for i, c := range s.PerClass() {
		row := []string{c.Label}
		for j := 0; j < nc; j++ {
			row = append(row, itoa(s.Counts[i*nc+j]))
		}
		acc := "-"
		if c.Good+c.Bad > 0 {
			acc = pct(float64(c.Good) / float64(c.Good+c.Bad))
		}
		rows = append(rows, append(row, acc))
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
	return writeTable(w, fmt.Sprintf("Model testing (%d windows; rows expected, columns result)", g+b), 1, header, rows, notes...)
}

// DeviceSummary gathers the estimates of an impulse's blocks on one target
// for [DeviceSummary.WriteTable].
type DeviceSummary struct {
	Target  Target
	DSP     []BlockProfile
	NN      []*Profile
	Anomaly []BlockProfile
}

// WriteTable writes one row per processing block, per model variant and
// deployment (TFLite Micro, EON, EON RAM-optimised) and per anomaly block,
// with latency, RAM, ROM and arena size, then the EON totals of the first
// model variant.
func (d *DeviceSummary) WriteTable(w io.Writer) error {
	header := []string{"block", "engine", "latency", "RAM", "ROM", "arena"}
	var rows [][]string
	totalMs, totalRAM, totalROM := 0.0, 0, 0
	for _, b := range d.DSP {
		rows = append(rows, []string{b.Name, "DSP", ms(b.LatencyMs), bytesK(b.RAM), bytesK(b.ROM), ""})
		totalMs += b.LatencyMs
		totalRAM = max(totalRAM, b.RAM)
		totalROM += b.ROM
	}
	for i, p := range d.NN {
		name := "NN " + string(p.DType)
		rows = append(rows,
			[]string{name, "TFLite Micro", ms(p.LatencyMs), bytesK(p.TFLite.RAM), bytesK(p.TFLite.ROM), bytesK(p.TFLite.Arena)},
			[]string{name, "EON", ms(p.LatencyMs), bytesK(p.EON.RAM), bytesK(p.EON.ROM), bytesK(p.EON.Arena)})
		if p.RAMOptimized {
			rows = append(rows, []string{name, "EON RAM-opt.", ms(p.RAMOptimizedLatencyMs), bytesK(p.EONRAMOptimized.RAM),
				bytesK(p.EONRAMOptimized.ROM), bytesK(p.EONRAMOptimized.Arena)})
		}
		if i == 0 {
			totalMs += p.LatencyMs
			totalRAM = max(totalRAM, p.EON.RAM)
			totalROM += p.EON.ROM
		}
	}
	for _, b := range d.Anomaly {
		rows = append(rows, []string{b.Name, "anomaly", ms(b.LatencyMs), bytesK(b.RAM), bytesK(b.ROM), ""})
		totalMs += b.LatencyMs
		totalRAM = max(totalRAM, b.RAM)
		totalROM += b.ROM
	}
	notes := []string{fmt.Sprintf("Total (EON): %s, peak RAM %s, ROM %s; target %s", ms(totalMs), bytesK(totalRAM), bytesK(totalROM), d.Target.ID)}
	for _, p := range d.NN {
		if !p.Fits {
			notes = append(notes, "Does not fit: "+p.FitError)
		}
	}
	title := "On-device performance on " + d.Target.Name
	return writeTable(w, title, 2, header, rows, notes...)
}
