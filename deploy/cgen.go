package deploy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// cWriter accumulates C source text. Number formatting is exact: a float64
// literal is the shortest decimal that reads back as the same float64 (a C
// compiler rounds it to float when ti_real is float), a float32 literal the
// shortest that reads back as the same float32.
type cWriter struct {
	b   strings.Builder
	err error
}

func (w *cWriter) printf(format string, args ...any) {
	fmt.Fprintf(&w.b, format, args...)
}

// realLit formats v as a C double literal.
func realLit(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		panic("deploy: non-finite constant") // the dsp package never designs one
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// f32Lit formats v, rounded to float32, as a C float literal.
func f32Lit(v float64) string {
	s := strconv.FormatFloat(float64(float32(v)), 'g', -1, 32)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s + "f"
}

// array writes `static const <ctype> name[] = {...};` with the elements
// formatted by lit, eight to a line.
func (w *cWriter) array(ctype, name string, n int, lit func(i int) string) {
	if n == 0 {
		return
	}
	w.printf("static const %s %s[%d] = {", ctype, name, n)
	for i := range n {
		if i%8 == 0 {
			w.printf("\n\t")
		} else {
			w.printf(" ")
		}
		w.printf("%s,", lit(i))
	}
	w.printf("\n};\n")
}

func (w *cWriter) realArray(name string, v []float64) {
	w.array("ti_real", name, len(v), func(i int) string { return realLit(v[i]) })
}

func (w *cWriter) f32Array(name string, v []float64) {
	w.array("float", name, len(v), func(i int) string { return f32Lit(v[i]) })
}

func (w *cWriter) u32Array(name string, v []int) {
	w.array("uint32_t", name, len(v), func(i int) string { return strconv.Itoa(v[i]) + "u" })
}

// ptr returns name, or NULL when the array is empty (and was not written).
func ptr(name string, n int) string {
	if n == 0 {
		return "NULL"
	}
	return name
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cString returns s as a C string literal: printable ASCII as it is, the
// quote and backslash escaped, every other byte (UTF-8 included) as a
// three-digit octal escape.
func cString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f && c != '?': // no trigraphs
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\%03o", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
