package tune

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// ErrSpace is wrapped by every error about a search space (a *SpaceError).
var ErrSpace = errors.New("tune: bad search space")

// maxSpaceBytes bounds a search-space document.
const maxSpaceBytes = 1 << 20

// ParseSpace reads a search space in the EON Tuner's JSON form: a list of
// impulses, each {"inputBlocks": [...], "dspBlocks": [...],
// "learnBlocks": [[...], ...]}, where every array is a set of alternatives
// and every setting a list of values (a single value stands for a list of
// one). The list may also come as the "impulse" field of an object (the
// EON Tuner's OptimizeSpaceResponse) or as {"space": {"impulse": [...]}}
// (its SetOptimizeSpaceRequest).
//
// Input blocks: {"type": "time-series", "window": [{"windowSizeMs": 1000,
// "windowIncreaseMs": 500}, ...]} and/or "windowSizeMs": [...] with
// "windowIncreaseMs": [...] or "windowIncreasePct": [...] (a fraction of
// the window: 0.25 is a quarter), every combination; {"type": "image",
// "dimension": [[32, 32], [64, 64]], "resizeMode": ["squash"]}.
//
// DSP blocks: {"type": "spectral-analysis", "implementationVersion": 4,
// "fft-length": [16, 64], "do-log": [true], ...}, the parameters by their
// parameters.json names; parameters left out take Studio's defaults.
//
// Learn blocks: each alternative is a list holding one neural network
// classifier, {"type": "keras", "architecture": "dense" | "conv1d" |
// "conv2d" | "layers", "denseLayers": [[20, 10], [40]], "convLayers":
// [2, 3], "convFilters": [8, 16], "kernelSize": [3, 5], "dropout": [0,
// 0.25], "visualLayers": [[{"type": "dense", "neurons": 20}, ...]],
// "learningRate": [0.001, 0.005], "trainingCycles": [30, 100],
// "batchSize": [32], "augmentationPolicyMotion": [null, {"copies": 4,
// "maxDegrees": 45}], "augmentationPolicySpectrogram": [null, {"enabled":
// true, "freqMasking": "low", "timeMasking": "low"}]} (see LearnSpace).
//
// Every problem is reported in one *SpaceError.
func ParseSpace(data []byte) (*Space, error) {
	if len(data) > maxSpaceBytes {
		return nil, &SpaceError{Problems: []string{fmt.Sprintf("document of %d bytes is larger than %d", len(data), maxSpaceBytes)}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, &SpaceError{Problems: []string{"not valid JSON: " + err.Error()}}
	}
	if dec.More() {
		return nil, &SpaceError{Problems: []string{"not valid JSON: data after the document"}}
	}
	var e SpaceError
	list := spaceList(&e, doc)
	s := &Space{}
	for i, v := range list {
		s.Impulses = append(s.Impulses, readImpulseSpace(&e, fmt.Sprintf("[%d]", i), v))
	}
	if len(e.Problems) > 0 {
		return nil, &e
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadSpace reads and parses a search-space file.
func LoadSpace(file string) (*Space, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	s, err := ParseSpace(data)
	var se *SpaceError
	if errors.As(err, &se) {
		se.File = file
	}
	return s, err
}

// spaceList finds the list of impulses in a document.
func spaceList(e *SpaceError, doc any) []any {
	switch v := doc.(type) {
	case []any:
		return v
	case map[string]any:
		if sp, ok := v["space"].(map[string]any); ok {
			return spaceList(e, sp)
		}
		if l, ok := v["impulse"].([]any); ok {
			return l
		}
	}
	e.add("", "must be a list of impulses ([{\"inputBlocks\": …, \"dspBlocks\": …, \"learnBlocks\": …}]), not %s", kindOf(doc))
	return nil
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func readImpulseSpace(e *SpaceError, path string, v any) ImpulseSpace {
	var im ImpulseSpace
	o, ok := v.(map[string]any)
	if !ok {
		e.add(path, "must be an object, not %s", kindOf(v))
		return im
	}
	for _, k := range sortedKeys(o) {
		switch k {
		case "inputBlocks", "dspBlocks", "learnBlocks", "parameters":
		default:
			e.add(path+"."+k, "unknown field (an impulse has inputBlocks, dspBlocks and learnBlocks)")
		}
	}
	for i, b := range list(e, path+".inputBlocks", o["inputBlocks"]) {
		im.Input = append(im.Input, readInputSpace(e, fmt.Sprintf("%s.inputBlocks[%d]", path, i), b))
	}
	for i, b := range list(e, path+".dspBlocks", o["dspBlocks"]) {
		im.DSP = append(im.DSP, readDSPSpace(e, fmt.Sprintf("%s.dspBlocks[%d]", path, i), b))
	}
	for i, alt := range list(e, path+".learnBlocks", o["learnBlocks"]) {
		p := fmt.Sprintf("%s.learnBlocks[%d]", path, i)
		blocks, isList := alt.([]any)
		if !isList {
			blocks = []any{alt}
		}
		if len(blocks) != 1 {
			e.add(p, "holds %d learn blocks; the tuner searches impulses with one neural network classifier", len(blocks))
			continue
		}
		if isList {
			p += "[0]"
		}
		im.Learn = append(im.Learn, readLearnSpace(e, p, blocks[0]))
	}
	return im
}

// list reads a required list field.
func list(e *SpaceError, path string, v any) []any {
	if v == nil {
		e.add(path, "is missing")
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		e.add(path, "must be a list, not %s", kindOf(v))
	}
	return l
}

// values reads a setting's values: a list, or a single value.
func values(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func sortedKeys(o map[string]any) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// number reads a finite JSON number.
func number(e *SpaceError, path string, v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		e.add(path, "must be a number, not %s", kindOf(v))
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		e.add(path, "%s is not a finite number", n)
		return 0, false
	}
	return f, true
}

// integer reads a JSON integer.
func integer(e *SpaceError, path string, v any) (int, bool) {
	f, ok := number(e, path, v)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<40 {
		e.add(path, "%v is not an integer", f)
		return 0, false
	}
	return int(f), true
}

func numbers(e *SpaceError, path string, v any) []float64 {
	var out []float64
	for i, x := range values(v) {
		if f, ok := number(e, fmt.Sprintf("%s[%d]", path, i), x); ok {
			out = append(out, f)
		}
	}
	return out
}

func integers(e *SpaceError, path string, v any) []int {
	var out []int
	for i, x := range values(v) {
		if n, ok := integer(e, fmt.Sprintf("%s[%d]", path, i), x); ok {
			out = append(out, n)
		}
	}
	return out
}

func readInputSpace(e *SpaceError, path string, v any) InputSpace {
	var in InputSpace
	o, ok := v.(map[string]any)
	if !ok {
		e.add(path, "must be an object, not %s", kindOf(v))
		return in
	}
	t, _ := o["type"].(string)
	in.Type = t
	if _, ok := o["type"]; !ok {
		e.add(path+".type", "is missing")
	}
	var sizes, incs []int
	var pcts []float64
	for _, k := range sortedKeys(o) {
		x := o[k]
		p := path + "." + k
		switch k {
		case "type", "id", "title", "name":
		case "window":
			if t != InputTimeSeries {
				e.add(p, "applies to time-series input blocks only")
			}
			for i, w := range values(x) {
				wo, ok := w.(map[string]any)
				q := fmt.Sprintf("%s[%d]", p, i)
				if !ok {
					e.add(q, "must be an object {\"windowSizeMs\": …, \"windowIncreaseMs\": …}, not %s", kindOf(w))
					continue
				}
				var win Window
				for _, wk := range sortedKeys(wo) {
					switch wk {
					case "windowSizeMs":
						win.SizeMs, _ = integer(e, q+"."+wk, wo[wk])
					case "windowIncreaseMs":
						win.IncreaseMs, _ = integer(e, q+"."+wk, wo[wk])
					default:
						e.add(q+"."+wk, "unknown field (a window has windowSizeMs and windowIncreaseMs)")
					}
				}
				in.Windows = append(in.Windows, win)
			}
		case "windowSizeMs":
			sizes = integers(e, p, x)
		case "windowIncreaseMs":
			incs = integers(e, p, x)
		case "windowIncreasePct":
			pcts = numbers(e, p, x)
			for i, f := range pcts {
				if !(f > 0 && f <= 1) {
					e.add(fmt.Sprintf("%s[%d]", p, i), "%v is not a fraction of the window in (0, 1] (0.5 is half the window)", f)
				}
			}
		case "dimension":
			if t != InputImage {
				e.add(p, "applies to image input blocks only")
			}
			for i, d := range values(x) {
				q := fmt.Sprintf("%s[%d]", p, i)
				wh := integers(e, q, d)
				if len(wh) != 2 {
					e.add(q, "must be [width, height]")
					continue
				}
				in.Dimensions = append(in.Dimensions, [2]int{wh[0], wh[1]})
			}
		case "resizeMode":
			for i, m := range values(x) {
				s, ok := m.(string)
				if !ok {
					e.add(fmt.Sprintf("%s[%d]", p, i), "must be a string, not %s", kindOf(m))
					continue
				}
				in.ResizeModes = append(in.ResizeModes, s)
			}
		default:
			e.add(p, "unknown field")
		}
	}
	if len(sizes) > 0 && len(incs) == 0 && len(pcts) == 0 {
		e.add(path+".windowSizeMs", "needs windowIncreaseMs or windowIncreasePct")
	}
	if len(sizes) == 0 && (len(incs) > 0 || len(pcts) > 0) {
		e.add(path, "windowIncreaseMs and windowIncreasePct need windowSizeMs")
	}
	for _, s := range sizes {
		for _, inc := range incs {
			in.Windows = append(in.Windows, Window{SizeMs: s, IncreaseMs: inc})
		}
		for _, f := range pcts {
			in.Windows = append(in.Windows, Window{SizeMs: s, IncreaseMs: max(1, int(math.Round(float64(s)*f)))})
		}
	}
	in.Windows = sortWindows(in.Windows)
	slices.SortFunc(in.Dimensions, func(a, b [2]int) int { return cmp.Or(cmp.Compare(a[0]*a[1], b[0]*b[1]), cmp.Compare(a[0], b[0])) })
	in.Dimensions = slices.Compact(in.Dimensions)
	return in
}

// sortWindows orders windows by size, then stride, without duplicates.
func sortWindows(ws []Window) []Window {
	slices.SortFunc(ws, func(a, b Window) int {
		return cmp.Or(cmp.Compare(a.SizeMs, b.SizeMs), cmp.Compare(a.IncreaseMs, b.IncreaseMs))
	})
	return slices.Compact(ws)
}

func readDSPSpace(e *SpaceError, path string, v any) DSPSpace {
	var b DSPSpace
	o, ok := v.(map[string]any)
	if !ok {
		e.add(path, "must be an object, not %s", kindOf(v))
		return b
	}
	t, ok := o["type"].(string)
	if !ok {
		e.add(path+".type", "must be the processing block's type, a string")
		return b
	}
	info, known := dsp.Lookup(t)
	if !known {
		e.add(path+".type", "%q is not a processing block type (%s)", t, strings.Join(dsp.BlockTypes, ", "))
		return b
	}
	b.Type = info.Type
	for _, k := range sortedKeys(o) {
		x := o[k]
		p := path + "." + k
		switch k {
		case "type", "id", "title", "name", "axes", "input":
			continue
		case "implementationVersion":
			vs := integers(e, p, x)
			if len(vs) != 1 {
				e.add(p, "must be one version")
				continue
			}
			b.Version = vs[0]
			if b.Version < 1 || b.Version > info.LatestVersion {
				e.add(p, "%s has versions 1 to %d, not %d", t, info.LatestVersion, b.Version)
			}
			continue
		}
		if !slices.ContainsFunc(info.Params, func(p dsp.Param) bool { return p.Param == k }) {
			e.add(p, "%s has no parameter %q", t, k)
			continue
		}
		prm := Param{Name: k}
		for i, val := range values(x) {
			q := fmt.Sprintf("%s[%d]", p, i)
			switch w := val.(type) {
			case json.Number:
				if f, ok := number(e, q, w); ok {
					prm.Values = append(prm.Values, f)
				}
			case bool, string:
				prm.Values = append(prm.Values, w)
			default:
				e.add(q, "must be a number, a boolean or a string, not %s", kindOf(val))
			}
		}
		if numeric(prm.Values) {
			slices.SortFunc(prm.Values, func(a, b any) int { return cmp.Compare(a.(float64), b.(float64)) })
		}
		prm.Values = slices.CompactFunc(prm.Values, func(a, b any) bool { return a == b })
		b.Params = append(b.Params, prm)
	}
	return b
}

func readLearnSpace(e *SpaceError, path string, v any) LearnSpace {
	var l LearnSpace
	o, ok := v.(map[string]any)
	if !ok {
		e.add(path, "must be an object, not %s", kindOf(v))
		return l
	}
	if t, ok := o["type"]; ok && t != "keras" {
		e.add(path+".type", "%v: the tuner searches neural network classifiers (\"keras\")", t)
	}
	arch, _ := o["architecture"].(string)
	l.Arch = arch
	if _, ok := o["architecture"]; !ok {
		e.add(path+".architecture", "is missing (dense, conv1d, conv2d or layers)")
	}
	for _, k := range sortedKeys(o) {
		x := o[k]
		p := path + "." + k
		switch k {
		case "type", "architecture", "id", "title", "name":
		case "denseLayers":
			for i, ws := range values(x) {
				q := fmt.Sprintf("%s[%d]", p, i)
				if _, ok := ws.([]any); !ok {
					e.add(q, "must be a list of layer widths (denseLayers is a list of lists: [[20, 10], [40]])")
					continue
				}
				l.DenseLayers = append(l.DenseLayers, integers(e, q, ws))
			}
			slices.SortStableFunc(l.DenseLayers, func(a, b []int) int { return cmp.Compare(sum(a), sum(b)) })
		case "convLayers":
			l.ConvLayers = sortedInts(integers(e, p, x))
		case "convFilters":
			l.ConvFilters = sortedInts(integers(e, p, x))
		case "kernelSize":
			l.KernelSizes = sortedInts(integers(e, p, x))
		case "trainingCycles":
			l.Epochs = sortedInts(integers(e, p, x))
		case "batchSize":
			l.BatchSizes = sortedInts(integers(e, p, x))
		case "dropout":
			l.Dropout = sortedFloats(numbers(e, p, x))
		case "learningRate":
			l.LearningRates = sortedFloats(numbers(e, p, x))
		case "augmentationPolicyImage":
			for i, v := range values(x) {
				a, ok := v.(string)
				if !ok {
					e.add(fmt.Sprintf("%s[%d]", p, i), "must be \"none\" or \"all\", not %s", kindOf(v))
					continue
				}
				if !slices.Contains(l.ImageAugment, a) {
					l.ImageAugment = append(l.ImageAugment, a)
				}
			}
		case "augmentationPolicySpectrogram":
			for i, r := range values(x) {
				q := fmt.Sprintf("%s[%d]", p, i)
				var a studio.AugmentationPolicySpectrogram
				if r != nil {
					if err := strictDecode(r, &a); err != nil {
						e.add(q, "must be null (none) or Studio's {\"enabled\": true, \"warping\": …, \"freqMasking\": …, \"timeMasking\": …, \"gaussianNoise\": …}: %v", err)
						continue
					}
				}
				if !a.Enabled {
					a = studio.AugmentationPolicySpectrogram{}
				}
				if a.Warping != nil && !*a.Warping {
					a.Warping = nil // false and absent are one choice
				}
				if !slices.ContainsFunc(l.SpecAugment, func(b studio.AugmentationPolicySpectrogram) bool { return reflect.DeepEqual(a, b) }) {
					l.SpecAugment = append(l.SpecAugment, a)
				}
			}
		case "augmentationPolicyMotion":
			for i, r := range values(x) {
				q := fmt.Sprintf("%s[%d]", p, i)
				var m impulse.MotionAugmentation
				if r != nil {
					if err := strictDecode(r, &m); err != nil {
						e.add(q, "must be null (no rotation) or {\"copies\": N, \"maxDegrees\": D}: %v", err)
						continue
					}
					if m.Copies == 0 {
						e.add(q+".copies", "is missing or 0 (null stands for no rotation)")
						continue
					}
				}
				if !slices.Contains(l.Rotations, m) {
					l.Rotations = append(l.Rotations, m)
				}
			}
		case "visualLayers":
			for i, net := range values(x) {
				q := fmt.Sprintf("%s[%d]", p, i)
				var layers []learn.VisualLayer
				if err := strictDecode(net, &layers); err != nil {
					e.add(q, "must be a list of Studio's visual layers: %v", err)
					continue
				}
				l.VisualLayers = append(l.VisualLayers, layers)
			}
		default:
			e.add(p, "unknown field")
		}
	}
	return l
}

// strictDecode decodes a generic JSON value into v, refusing fields v
// does not have.
func strictDecode(x any, v any) error {
	raw, err := json.Marshal(x)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

func sortedInts(s []int) []int {
	slices.Sort(s)
	return slices.Compact(s)
}

func sortedFloats(s []float64) []float64 {
	slices.Sort(s)
	return slices.Compact(s)
}

// MarshalJSON writes the space in the form ParseSpace reads.
func (s *Space) MarshalJSON() ([]byte, error) {
	out := make([]any, 0, len(s.Impulses))
	for _, im := range s.Impulses {
		var ins, dsps, learns []any
		for _, in := range im.Input {
			m := map[string]any{"type": in.Type}
			if in.Type == InputTimeSeries {
				m["window"] = in.Windows
			} else {
				m["dimension"] = in.Dimensions
				if len(in.ResizeModes) > 0 {
					m["resizeMode"] = in.ResizeModes
				}
			}
			ins = append(ins, m)
		}
		for _, b := range im.DSP {
			m := map[string]any{"type": b.Type}
			if b.Version > 0 {
				m["implementationVersion"] = b.Version
			}
			for _, p := range b.Params {
				m[p.Name] = p.Values
			}
			dsps = append(dsps, m)
		}
		for _, l := range im.Learn {
			m := map[string]any{"type": "keras", "architecture": l.Arch}
			set := func(k string, v any, n int) {
				if n > 0 {
					m[k] = v
				}
			}
			set("denseLayers", l.DenseLayers, len(l.DenseLayers))
			set("convLayers", l.ConvLayers, len(l.ConvLayers))
			set("convFilters", l.ConvFilters, len(l.ConvFilters))
			set("kernelSize", l.KernelSizes, len(l.KernelSizes))
			set("dropout", l.Dropout, len(l.Dropout))
			set("visualLayers", l.VisualLayers, len(l.VisualLayers))
			set("learningRate", l.LearningRates, len(l.LearningRates))
			set("trainingCycles", l.Epochs, len(l.Epochs))
			set("batchSize", l.BatchSizes, len(l.BatchSizes))
			set("augmentationPolicyImage", l.ImageAugment, len(l.ImageAugment))
			if len(l.SpecAugment) > 0 {
				as := make([]any, len(l.SpecAugment))
				for i, a := range l.SpecAugment {
					if a.Enabled {
						as[i] = a
					}
				}
				m["augmentationPolicySpectrogram"] = as
			}
			if len(l.Rotations) > 0 {
				rs := make([]any, len(l.Rotations))
				for i, r := range l.Rotations {
					if r.Copies > 0 {
						rs[i] = r
					}
				}
				m["augmentationPolicyMotion"] = rs
			}
			learns = append(learns, []any{m})
		}
		out = append(out, map[string]any{"inputBlocks": ins, "dspBlocks": dsps, "learnBlocks": learns})
	}
	return json.Marshal(out)
}
