package impulse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Problem is one thing wrong with a definition: the JSON path of the value
// (impulse.inputBlocks[0].windowSizeMs, learn.4.visualLayers[2].kernelSize,
// dsp.3.fft-length) and what is wrong with it.
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// DefinitionError lists every problem found in an impulse definition.
type DefinitionError struct {
	// File is the definition's file name, or "".
	File     string
	Problems []Problem
}

// Error returns the problems on one line, separated by "; ".
func (e *DefinitionError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	prefix := "impulse: "
	if e.File != "" {
		prefix += e.File + ": "
	}
	return prefix + strings.Join(parts, "; ")
}

// walker collects problems while reading a decoded JSON tree (objects are
// map[string]any, numbers json.Number).
type walker struct {
	problems []Problem
}

func (w *walker) add(path, format string, args ...any) {
	w.problems = append(w.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (w *walker) err(file string) error {
	if len(w.problems) == 0 {
		return nil
	}
	return &DefinitionError{File: file, Problems: w.problems}
}

// decodeTree decodes JSON keeping numbers as json.Number.
func decodeTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// describe names a JSON value's kind for messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprint(v)
}

// object reads the fields of one JSON object and reports unknown ones.
type object struct {
	w    *walker
	path string
	m    map[string]any
	seen map[string]bool
}

// obj returns an object reader for v, reporting a problem (and returning an
// empty reader) when v is not an object.
func (w *walker) obj(path string, v any) *object {
	m, ok := v.(map[string]any)
	if !ok {
		w.add(path, "must be an object, not %s", describe(v))
	}
	return &object{w: w, path: path, m: m, seen: map[string]bool{}}
}

// get returns a field; null counts as absent.
func (o *object) get(key string) (any, bool) {
	o.seen[key] = true
	v, ok := o.m[key]
	return v, ok && v != nil
}

func (o *object) has(key string) bool { _, ok := o.get(key); return ok }

// required reports a field as required when it is absent (or null), and
// returns whether it is present. Readers call it after reading the field, so
// that a field is reported once: as missing, or as having a wrong value.
func (o *object) required(key string) bool {
	if o.has(key) {
		return true
	}
	o.w.add(child(o.path, key), "is required")
	return false
}

// ignore marks fields that are read-only or informational.
func (o *object) ignore(keys ...string) {
	for _, k := range keys {
		o.seen[k] = true
	}
}

// unsupported reports fields this package does not implement when present.
func (o *object) unsupported(keys ...string) {
	for _, k := range keys {
		if o.has(k) {
			o.w.add(child(o.path, k), "is not supported by this library")
		}
	}
}

// end reports the fields that were never read.
func (o *object) end() {
	var unknown []string
	for k := range o.m {
		if !o.seen[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		o.w.add(child(o.path, k), "unknown field")
	}
}

func (o *object) str(key string) (string, bool) {
	v, ok := o.get(key)
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		o.w.add(child(o.path, key), "must be a string, not %s", describe(v))
		return "", false
	}
	return s, true
}

// enum reads a string that must be one of values.
func (o *object) enum(key string, values ...string) (string, bool) {
	s, ok := o.str(key)
	if ok && !slices.Contains(values, s) {
		o.w.add(child(o.path, key), "must be one of %s, not %q", strings.Join(quoteAll(values), ", "), s)
		return "", false
	}
	return s, ok
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strconv.Quote(x)
	}
	return out
}

func (o *object) num(key string) (float64, bool) {
	v, ok := o.get(key)
	if !ok {
		return 0, false
	}
	return o.w.number(child(o.path, key), v)
}

func (w *walker) number(path string, v any) (float64, bool) {
	n, isNum := v.(json.Number)
	if !isNum {
		w.add(path, "must be a number, not %s", describe(v))
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		w.add(path, "number %s is out of range", n)
		return 0, false
	}
	return f, true
}

// integer reads an integer no smaller than lo.
func (o *object) integer(key string, lo int) (int, bool) {
	v, ok := o.get(key)
	if !ok {
		return 0, false
	}
	return o.w.integer(child(o.path, key), v, lo)
}

func (w *walker) integer(path string, v any, lo int) (int, bool) {
	f, ok := w.number(path, v)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		w.add(path, "must be an integer, not %v", v)
		return 0, false
	}
	if int(f) < lo {
		w.add(path, "must be >= %d, not %v", lo, v)
		return 0, false
	}
	return int(f), true
}

// rangeNum reads a number in [lo, hi] (open at an end when the matching
// flag is set).
func (o *object) rangeNum(key string, lo, hi float64, openLo, openHi bool) (float64, bool) {
	f, ok := o.num(key)
	if !ok {
		return 0, false
	}
	if f < lo || f > hi || (openLo && f == lo) || (openHi && f == hi) {
		l, h := "[", "]"
		if openLo {
			l = "("
		}
		if openHi {
			h = ")"
		}
		o.w.add(child(o.path, key), "must be in %s%v, %v%s, not %v", l, lo, hi, h, f)
		return 0, false
	}
	return f, true
}

func (o *object) boolean(key string) (bool, bool) {
	v, ok := o.get(key)
	if !ok {
		return false, false
	}
	b, isBool := v.(bool)
	if !isBool {
		o.w.add(child(o.path, key), "must be true or false, not %s", describe(v))
		return false, false
	}
	return b, true
}

func (o *object) list(key string) ([]any, bool) {
	v, ok := o.get(key)
	if !ok {
		return nil, false
	}
	a, isList := v.([]any)
	if !isList {
		o.w.add(child(o.path, key), "must be an array, not %s", describe(v))
		return nil, false
	}
	return a, true
}

// strList reads an array of non-empty, distinct strings.
func (o *object) strList(key string) ([]string, bool) {
	a, ok := o.list(key)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(a))
	p := child(o.path, key)
	good := true
	for i, v := range a {
		s, isStr := v.(string)
		switch {
		case !isStr:
			o.w.add(index(p, i), "must be a string, not %s", describe(v))
			good = false
		case s == "":
			o.w.add(index(p, i), "must not be empty")
			good = false
		case slices.Contains(out, s):
			o.w.add(index(p, i), "duplicate %q", s)
			good = false
		default:
			out = append(out, s)
		}
	}
	return out, good
}

// intList reads an array of distinct integers no smaller than lo.
func (o *object) intList(key string, lo int) ([]int, bool) {
	a, ok := o.list(key)
	if !ok {
		return nil, false
	}
	p := child(o.path, key)
	out := make([]int, 0, len(a))
	good := true
	for i, v := range a {
		n, ok := o.w.integer(index(p, i), v, lo)
		switch {
		case !ok:
			good = false
		case slices.Contains(out, n):
			o.w.add(index(p, i), "duplicate %d", n)
			good = false
		default:
			out = append(out, n)
		}
	}
	return out, good
}

func (o *object) timestamp(key string) *time.Time {
	s, ok := o.str(key)
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		o.w.add(child(o.path, key), "must be an ISO 8601 date, not %q", s)
		return nil
	}
	return &t
}
