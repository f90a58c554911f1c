// Package table writes the project's ASCII tables: a title, the table in
// the first layout that fits an 80-column terminal, and notes. It is the
// project's only user of tablewriter.
package table

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Width is the width the tables aim for: an 80-column terminal.
const Width = 80

// Layout is one way of laying out a table: its header, rows, and how many
// leading columns are left-aligned (the others are right-aligned).
type Layout struct {
	Header []string
	Rows   [][]string
	Left   int
}

// Write writes an ASCII table with a title line above it and notes below,
// in the first of the layouts whose lines fit in Width columns (the last one
// when none does).
func Write(w io.Writer, title string, notes []string, layouts ...Layout) error {
	var out bytes.Buffer
	for i, l := range layouts {
		out.Reset()
		if err := renderTable(&out, l); err != nil {
			return err
		}
		if i == len(layouts)-1 || maxWidth(out.String()) <= Width {
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

func renderTable(w io.Writer, l Layout) error {
	align := make(tw.Alignment, len(l.Header))
	for i := range align {
		align[i] = tw.AlignRight
	}
	for i := 0; i < l.Left && i < len(align); i++ {
		align[i] = tw.AlignLeft
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithAlignment(align),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	h := make([]any, len(l.Header))
	for i, v := range l.Header {
		h[i] = v
	}
	t.Header(h...)
	if err := t.Bulk(l.Rows); err != nil {
		return err
	}
	return t.Render()
}
