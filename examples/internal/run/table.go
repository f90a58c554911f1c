package run

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/metrics"
)

// maxWidth is the widest line any output may have.
const maxWidth = 80

// table is a compact layout of a table: a header, rows, and how many
// leading columns are left-aligned (the others are right-aligned).
type table struct {
	header []string
	rows   [][]string
	left   int
}

// writeFitted writes what render writes when no line of it is wider than
// maxWidth. Otherwise it keeps render's title (its first line) and notes
// (the lines after the table) and replaces the table by the first of the
// compact layouts that fits, or the last one.
func writeFitted(w io.Writer, render func(io.Writer) error, compact ...func() table) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	if width(buf.String()) <= maxWidth || len(compact) == 0 {
		_, err := w.Write(buf.Bytes())
		return err
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	var title, notes []string
	i := 0
	for ; i < len(lines) && !isTableLine(lines[i]); i++ {
		title = append(title, lines[i])
	}
	for ; i < len(lines) && isTableLine(lines[i]); i++ {
	}
	notes = lines[i:]
	var box string
	for _, c := range compact {
		box = boxed(c())
		if width(box) <= maxWidth {
			break
		}
	}
	out := strings.Join(title, "\n")
	if out != "" {
		out += "\n"
	}
	out += box
	if len(notes) > 0 {
		out += strings.Join(notes, "\n") + "\n"
	}
	_, err := io.WriteString(w, out)
	return err
}

// isTableLine reports whether line is a row or a border of an ASCII table.
func isTableLine(line string) bool {
	return strings.HasPrefix(line, "+") || strings.HasPrefix(line, "|")
}

// width returns the width of the widest line of s.
func width(s string) int {
	n := 0
	for line := range strings.SplitSeq(s, "\n") {
		n = max(n, utf8.RuneCountInString(line))
	}
	return n
}

// boxed draws t as an ASCII table in the style of the metrics package's
// tables, one space either side of every cell.
func boxed(t table) string {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	border := func() {
		for _, w := range widths {
			b.WriteString("+" + strings.Repeat("-", w+2))
		}
		b.WriteString("+\n")
	}
	row := func(cells []string) {
		for i, w := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			pad := strings.Repeat(" ", w-utf8.RuneCountInString(c))
			if i < t.left {
				b.WriteString("| " + c + pad + " ")
			} else {
				b.WriteString("| " + pad + c + " ")
			}
		}
		b.WriteString("|\n")
	}
	border()
	row(t.header)
	border()
	for _, r := range t.rows {
		row(r)
	}
	border()
	return b.String()
}

// writeClassification writes a classifier's confusion matrix with per-class
// precision, recall and F1 (metrics' table), or, when that is too wide, the
// matrix with F1 and support, the matrix with numbered columns and F1, or
// per-class figures alone.
func writeClassification(w io.Writer, c *metrics.Classification) error {
	labels := c.Confusion.Labels
	n := len(labels)
	per := c.Confusion.PerClass()
	matrix := func(numbered, support bool) func() table {
		return func() table {
			t := table{left: 1, header: []string{"actual"}}
			for i, l := range labels {
				if numbered {
					l = strconv.Itoa(i + 1)
				}
				t.header = append(t.header, l)
			}
			t.header = append(t.header, "F1")
			if support {
				t.header = append(t.header, "n")
			}
			for i, l := range labels {
				if numbered {
					l = strconv.Itoa(i+1) + " " + l
				}
				r := []string{l}
				for j := range n {
					r = append(r, strconv.Itoa(c.Confusion.At(i, j)))
				}
				r = append(r, f2(per[i].F1))
				if support {
					r = append(r, strconv.Itoa(per[i].Support))
				}
				t.rows = append(t.rows, r)
			}
			return t
		}
	}
	perClass := func() table {
		t := table{left: 1, header: []string{"actual", "precision", "recall", "F1", "support", "mostly confused with"}}
		t.left = 1
		for i, l := range labels {
			worst, most := "", 0
			for j := range n {
				if j != i && c.Confusion.At(i, j) > most {
					worst, most = labels[j], c.Confusion.At(i, j)
				}
			}
			if most > 0 {
				worst = fmt.Sprintf("%s (%d)", worst, most)
			}
			t.rows = append(t.rows, []string{l, f2(per[i].Precision), f2(per[i].Recall), f2(per[i].F1),
				strconv.Itoa(per[i].Support), worst})
		}
		return t
	}
	return writeFitted(w, c.WriteTable, matrix(false, true), matrix(true, false), perClass)
}

// writeTesting writes the model-testing table (expected labels against
// results, with uncertain and anomaly columns) and its figures, in the
// impulse package's layout or, when that is too wide, a compact one.
func writeTesting(w io.Writer, r *impulse.TestReport) error {
	s := r.Summary
	if s == nil {
		return r.WriteTable(w)
	}
	nc := len(s.Columns)
	short := func(l string) string {
		switch l {
		case metrics.Uncertain:
			return "unc."
		case metrics.Anomaly:
			return "anom."
		}
		return l
	}
	per := s.PerClass()
	accuracy := func(i int) string {
		c := per[i]
		if c.Good+c.Bad == 0 {
			return "-"
		}
		return strconv.FormatFloat(100*float64(c.Good)/float64(c.Good+c.Bad), 'f', 1, 64) + "%"
	}
	isLabel := func(l string) bool { return l != metrics.Uncertain && l != metrics.Anomaly }
	matrix := func(numbered bool) func() table {
		return func() table {
			t := table{left: 1, header: []string{"expected"}}
			num := map[string]int{}
			for i, l := range s.Rows {
				num[l] = i + 1
			}
			for _, l := range s.Columns {
				if numbered && isLabel(l) {
					l = strconv.Itoa(num[l])
				}
				t.header = append(t.header, short(l))
			}
			t.header = append(t.header, "acc.")
			for i, l := range s.Rows {
				if numbered && isLabel(l) {
					l = strconv.Itoa(i+1) + " " + l
				}
				r := []string{l}
				for j := range nc {
					r = append(r, strconv.Itoa(s.Counts[i*nc+j]))
				}
				t.rows = append(t.rows, append(r, accuracy(i)))
			}
			return t
		}
	}
	perRow := func() table {
		t := table{left: 1, header: []string{"expected", "windows", "correct", "uncertain", "anomaly", "other", "accuracy"}}
		for i, l := range s.Rows {
			var total, unc, anom, good int
			for j, col := range s.Columns {
				v := s.Counts[i*nc+j]
				total += v
				switch {
				case col == l:
					good += v
				case col == metrics.Uncertain:
					unc += v
				case col == metrics.Anomaly:
					anom += v
				}
			}
			other := total - good - unc - anom
			t.rows = append(t.rows, []string{l, strconv.Itoa(total), strconv.Itoa(good), strconv.Itoa(unc),
				strconv.Itoa(anom), strconv.Itoa(other), accuracy(i)})
		}
		return t
	}
	return writeFitted(w, r.WriteTable, matrix(false), matrix(true), perRow)
}

func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
