package deploy

import (
	"fmt"
	"math"
	"slices"

	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// FromModel prepares a trained impulse for the C runtime: its processing
// blocks built for its window shape (the definition's input block and
// DSP parameters, as package impulse builds them), the first neural
// network learn block's network of model type t (the zero value: the
// block's own, see impulse.Model.ModelType) with its labels and
// confidence threshold, and the first anomaly block with its threshold.
// These are the learn blocks whose outputs decide impulse.Result.Label.
//
// The signal the C impulse reads is the raw window impulse.Classifier's
// Classify takes: for a time series, the input block's axes interleaved by
// sample; for an image, the resized image's packed 0xRRGGBB pixels.
//
// It returns an error wrapping ErrUnsupported for an impulse with more
// than one neural network or anomaly block, or a learn block the runtime
// has no code for.
func FromModel(m *impulse.Model, t impulse.ModelType) (*Impulse, error) {
	def := m.Definition()
	if len(def.Impulse.InputBlocks) != 1 {
		return nil, fmt.Errorf("deploy: the impulse has %d input blocks, want 1", len(def.Impulse.InputBlocks))
	}
	in := def.Impulse.InputBlocks[0]
	imp := &Impulse{}
	var samples int
	switch in.Type {
	case studio.InputImage:
		imp.InputAxes, imp.InputLength = 1, in.ImageWidth*in.ImageHeight
	case studio.InputTimeSeries:
		samples = int(math.Round(float64(in.WindowSizeMs) * in.FrequencyHz / 1000))
		imp.InputAxes, imp.InputLength = len(in.Axes), samples*len(in.Axes)
	default:
		return nil, fmt.Errorf("%w: input block of type %q", ErrUnsupported, in.Type)
	}
	// Features of each DSP block in the impulse's order.
	type span struct{ off, n int }
	spans := map[int]span{}
	off := 0
	for _, b := range def.Impulse.DSPBlocks {
		di := dsp.Input{FrequencyHz: in.FrequencyHz, Axes: len(b.Axes), Samples: samples}
		var axes []int
		if in.Type == studio.InputImage {
			di = dsp.Input{Width: in.ImageWidth, Height: in.ImageHeight, Samples: in.ImageWidth * in.ImageHeight}
		} else {
			for _, a := range b.Axes {
				i := slices.Index(in.Axes, a)
				if i < 0 {
					return nil, fmt.Errorf("deploy: DSP block %d reads axis %q, which the input block does not have", b.ID, a)
				}
				axes = append(axes, i)
			}
			if len(axes) == len(in.Axes) && isSequence(axes) {
				axes = nil
			}
		}
		blk, err := dsp.New(b.Type, b.ImplementationVersion, def.DSP[b.ID], di)
		if err != nil {
			return nil, fmt.Errorf("deploy: DSP block %d (%s): %w", b.ID, b.Type, err)
		}
		cb, err := NewDSPBlock(blk)
		if err != nil {
			return nil, fmt.Errorf("deploy: DSP block %d (%s): %w", b.ID, b.Type, err)
		}
		imp.DSP = append(imp.DSP, ImpulseDSP{Block: cb, Axes: axes})
		spans[b.ID] = span{off, cb.Features()}
		off += cb.Features()
	}
	ranges := func(lb studio.LearnBlock) ([]Range, error) {
		var rs []Range
		for _, id := range lb.DSP {
			s, ok := spans[id]
			if !ok {
				return nil, fmt.Errorf("deploy: learn block %d reads DSP block %d, which the impulse does not have", lb.ID, id)
			}
			if n := len(rs); n > 0 && rs[n-1].Offset+rs[n-1].Count == s.off {
				rs[n-1].Count += s.n // contiguous: one range, read in place
				continue
			}
			rs = append(rs, Range{s.off, s.n})
		}
		return rs, nil
	}
	for _, lb := range def.Impulse.LearnBlocks {
		switch lb.Type {
		case studio.LearnKeras, studio.LearnKerasRegression:
			if imp.Network != nil {
				return nil, fmt.Errorf("%w: a second neural network learn block (%d): the C library runs one", ErrUnsupported, lb.ID)
			}
			n, q, err := m.Networks(lb.ID)
			if err != nil {
				return nil, err
			}
			mt := t
			if mt == 0 {
				if mt, err = m.ModelType(lb.ID); err != nil {
					return nil, err
				}
			}
			g := n.Graph()
			if mt == impulse.Int8 {
				if q == nil {
					return nil, fmt.Errorf("deploy: learn block %d has no int8 network", lb.ID)
				}
				g = q.Graph()
			}
			if imp.Network, err = NewNetwork(g); err != nil {
				return nil, fmt.Errorf("deploy: learn block %d: %w", lb.ID, err)
			}
			if imp.NetworkInput, err = ranges(lb); err != nil {
				return nil, err
			}
			imp.Regression = g.Regression
			imp.Labels = slices.Clone(g.Labels)
			if !g.Regression {
				if imp.MinScore, err = m.Threshold(lb.ID); err != nil {
					return nil, err
				}
			}
		case studio.LearnAnomaly, studio.LearnAnomalyGMM:
			if imp.Anomaly != nil {
				return nil, fmt.Errorf("%w: a second anomaly learn block (%d): the C library runs one", ErrUnsupported, lb.ID)
			}
			a, err := m.Anomaly(lb.ID)
			if err != nil {
				return nil, err
			}
			if imp.Anomaly, err = NewAnomaly(a); err != nil {
				return nil, fmt.Errorf("deploy: learn block %d: %w", lb.ID, err)
			}
			if imp.AnomalyInput, err = ranges(lb); err != nil {
				return nil, err
			}
			imp.AnomalyThreshold = a.Threshold()
		default:
			return nil, fmt.Errorf("%w: learn block %d of type %q", ErrUnsupported, lb.ID, lb.Type)
		}
	}
	if err := imp.validate(); err != nil {
		return nil, err
	}
	return imp, nil
}

func isSequence(idx []int) bool {
	for i, v := range idx {
		if v != i {
			return false
		}
	}
	return true
}
