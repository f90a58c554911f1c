package metrics

// This file is the package's only user of tablewriter.

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// TableWidth is the width the tables aim for: an 80-column terminal.
const TableWidth = 80

// layout is one way of laying out a table: its header, rows, and how many
// leading columns are left-aligned (the others are right-aligned).
type layout struct {
	header []string
	rows   [][]string
	left   int
}

// writeTable writes an ASCII table with a title line above it and notes
// below, in the first of the layouts whose lines fit in TableWidth columns
// (the last one when none does).
func writeTable(w io.Writer, title string, notes []string, layouts ...layout) error {
	var out bytes.Buffer
	for i, l := range layouts {
		out.Reset()
		if err := renderTable(&out, l); err != nil {
			return err
		}
		if i == len(layouts)-1 || maxWidth(out.String()) <= TableWidth {
			break
		}
	}
	if title != "" {
		if _, err := fmt.Fprintln(w, title); err != nil {
			return err
		}
	}
	if _, err := w.Write(out.Bytes()); err != nil {
		return err
	}
	for _, n := range notes {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

// maxWidth returns the width of the longest line of s, in runes.
func maxWidth(s string) int {
	m := 0
	for _, line := range strings.Split(s, "\n") {
		m = max(m, utf8.RuneCountInString(line))
	}
	return m
}

func renderTable(w io.Writer, l layout) error {
	align := make(tw.Alignment, len(l.header))
	for i := range align {
		align[i] = tw.AlignRight
	}
	for i := 0; i < l.left && i < len(align); i++ {
		align[i] = tw.AlignLeft
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithAlignment(align),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	h := make([]any, len(l.header))
	for i, v := range l.header {
		h[i] = v
	}
	t.Header(h...)
	if err := t.Bulk(l.rows); err != nil {
		return err
	}
	return t.Render()
}

func f2(v float64) string  { return strconv.FormatFloat(v, 'f', 2, 64) }
func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }
func itoa(v int) string    { return strconv.Itoa(v) }
func ms(v float64) string  { return strconv.Itoa(LatencyMillis(v)) + " ms" }

// WriteTable writes the confusion matrix (rows actual, columns predicted,
// under the predicted labels) with every class's precision, recall, F1
// score and support, followed by accuracy, loss, ROC AUC and the weighted
// averages. When that is wider than TableWidth it keeps F1 and support
// only, then numbers the columns (row "3 idle" is column 3), and finally
// gives per-class figures with the class each is most often mistaken for.
func (c *Classification) WriteTable(w io.Writer) error {
	labels := c.Confusion.Labels
	per := c.Confusion.PerClass()
	matrix := func(numbered, prf bool) layout {
		l := layout{header: []string{"actual"}, left: 1}
		for i, lb := range labels {
			if numbered {
				lb = itoa(i + 1)
			}
			l.header = append(l.header, lb)
		}
		if prf {
			l.header = append(l.header, "precision", "recall", "F1", "support")
		} else {
			l.header = append(l.header, "F1", "n")
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
			l.rows = append(l.rows, append(row, f2(s.F1), itoa(s.Support)))
		}
		return l
	}
	perClass := layout{header: []string{"actual", "precision", "recall", "F1", "support", "mostly mistaken for"}, left: 1}
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
		perClass.rows = append(perClass.rows, []string{lb, f2(s.Precision), f2(s.Recall), f2(s.F1), itoa(s.Support), worst})
	}
	auc := "n/a (a class is missing)"
	if c.HasROCAUC {
		auc = f2(c.ROCAUC)
	}
	wa := c.Report.WeightedAvg
	return writeTable(w, fmt.Sprintf("Confusion matrix (%d windows; rows actual, columns predicted)", c.Confusion.Total()),
		[]string{fmt.Sprintf("Accuracy %s, loss %.4f, ROC AUC %s", pct(c.Report.Accuracy), c.Loss, auc),
			fmt.Sprintf("Weighted average: precision %s, recall %s, F1 %s", f2(wa.Precision), f2(wa.Recall), f2(wa.F1))},
		matrix(false, true), matrix(false, false), matrix(true, false), perClass)
}

// WriteTable writes the model-testing matrix (rows expected, columns
// results including uncertain and anomaly) with each row's accuracy,
// followed by the overall figures. When that is wider than TableWidth it
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
	matrix := func(short, numbered bool) layout {
		l := layout{header: []string{"expected"}, left: 1}
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
			l.header = append(l.header, c)
		}
		if short {
			l.header = append(l.header, "acc.")
		} else {
			l.header = append(l.header, "accuracy")
		}
		for i, r := range s.Rows {
			if numbered && isLabel(r) {
				r = itoa(i+1) + " " + r
			}
			row := []string{r}
			for j := range nc {
				row = append(row, itoa(s.Counts[i*nc+j]))
			}
			l.rows = append(l.rows, append(row, accuracy(i)))
		}
		return l
	}
	perRow := layout{header: []string{"expected", "windows", "correct", "uncertain", "anomaly", "other", "accuracy"}, left: 1}
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
		perRow.rows = append(perRow.rows, []string{r, itoa(total), itoa(good), itoa(unc), itoa(anom), itoa(total - good - unc - anom), accuracy(i)})
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
	return writeTable(w, fmt.Sprintf("Model testing (%d windows; rows expected, columns result)", g+b), notes,
		matrix(false, false), matrix(true, false), matrix(true, true), perRow)
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
		rows = append(rows, []string{b.Name, "DSP", ms(b.LatencyMs), kb(b.RAM), kb(b.ROM), ""})
		totalMs += b.LatencyMs
		totalRAM = max(totalRAM, b.RAM)
		totalROM += b.ROM
	}
	for i, p := range d.NN {
		name := "NN " + string(p.DType)
		rows = append(rows,
			[]string{name, "TFLite Micro", ms(p.LatencyMs), kb(p.TFLite.RAM), kb(p.TFLite.ROM), kb(p.TFLite.Arena)},
			[]string{name, "EON", ms(p.LatencyMs), kb(p.EON.RAM), kb(p.EON.ROM), kb(p.EON.Arena)})
		if p.RAMOptimized {
			rows = append(rows, []string{name, "EON RAM-opt.", ms(p.RAMOptimizedLatencyMs), kb(p.EONRAMOptimized.RAM),
				kb(p.EONRAMOptimized.ROM), kb(p.EONRAMOptimized.Arena)})
		}
		if i == 0 {
			totalMs += p.LatencyMs
			totalRAM = max(totalRAM, p.EON.RAM)
			totalROM += p.EON.ROM
		}
	}
	for _, b := range d.Anomaly {
		rows = append(rows, []string{b.Name, "anomaly", ms(b.LatencyMs), kb(b.RAM), kb(b.ROM), ""})
		totalMs += b.LatencyMs
		totalRAM = max(totalRAM, b.RAM)
		totalROM += b.ROM
	}
	notes := []string{fmt.Sprintf("Total (EON): %s, peak RAM %s, ROM %s; target %s", ms(totalMs), kb(totalRAM), kb(totalROM), d.Target.ID)}
	for _, p := range d.NN {
		if !p.Fits {
			notes = append(notes, "Does not fit: "+p.FitError)
		}
	}
	title := "On-device performance on " + d.Target.Name
	return writeTable(w, title, notes, layout{header: header, rows: rows, left: 2})
}
