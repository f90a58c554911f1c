package dsp

import "math"

// FlattenConfig holds the parameters of Edge Impulse's "flatten" block.
// Each boolean enables one statistic per axis.
type FlattenConfig struct {
	// ImplementationVersion is the block version; 0 means the latest, 1.
	ImplementationVersion int `json:"-"`

	ScaleAxes float64 `json:"scale-axes"` // multiplies every value (default 1)
	Average   bool    `json:"average"`
	Minimum   bool    `json:"minimum"`
	Maximum   bool    `json:"maximum"`
	RMS       bool    `json:"rms"`
	Stdev     bool    `json:"stdev"`
	Skewness  bool    `json:"skewness"`
	Kurtosis  bool    `json:"kurtosis"`
}

// DefaultFlattenConfig returns Studio's defaults: scale 1, every statistic.
func DefaultFlattenConfig() FlattenConfig {
	return FlattenConfig{ScaleAxes: 1, Average: true, Minimum: true, Maximum: true, RMS: true, Stdev: true, Skewness: true, Kurtosis: true}
}

// UnmarshalJSON reads Studio's parameters, starting from the defaults.
func (c *FlattenConfig) UnmarshalJSON(b []byte) error {
	return unmarshalParams("flatten", b, c.setParams)
}

func (c *FlattenConfig) setParams(p map[string]any) error {
	v := c.ImplementationVersion
	*c = DefaultFlattenConfig()
	c.ImplementationVersion = v
	r := newParamReader("flatten", p)
	r.float("scale-axes", &c.ScaleAxes)
	r.bool("average", &c.Average)
	r.bool("minimum", &c.Minimum)
	r.bool("maximum", &c.Maximum)
	r.bool("rms", &c.RMS)
	r.bool("stdev", &c.Stdev)
	r.bool("skewness", &c.Skewness)
	r.bool("kurtosis", &c.Kurtosis)
	return r.done()
}

// Flatten is Edge Impulse's "flatten" block: per axis, in axis order, the
// enabled statistics among average, minimum, maximum, RMS, population
// standard deviation, skewness and Fisher kurtosis, in float64.
type Flatten struct {
	cfg     FlattenConfig
	in      Input
	stats   []int // indices into flattenStats of the enabled statistics
	labels  []string
	axis    []float64
	scratch []float64
}

var flattenStats = [...]string{"Average", "Minimum", "Maximum", "RMS", "Stdev", "Skewness", "Kurtosis"}

// NewFlatten returns a flatten block for windows described by in.
func NewFlatten(cfg FlattenConfig, in Input) (*Flatten, error) {
	if err := resolveVersion("flatten", &cfg.ImplementationVersion, "implementation_version should be 1"); err != nil {
		return nil, err
	}
	if err := checkTimeInput("flatten", in); err != nil {
		return nil, err
	}
	b := &Flatten{cfg: cfg, in: in}
	for i, on := range []bool{cfg.Average, cfg.Minimum, cfg.Maximum, cfg.RMS, cfg.Stdev, cfg.Skewness, cfg.Kurtosis} {
		if on {
			b.stats = append(b.stats, i)
			b.labels = append(b.labels, flattenStats[i])
		}
	}
	b.axis = make([]float64, in.Samples)
	b.scratch = make([]float64, 2*in.Samples)
	return b, nil
}

// AppendFeatures appends the enabled statistics of each axis to dst.
func (b *Flatten) AppendFeatures(dst, window []float64) ([]float64, error) {
	if err := checkWindow("flatten", window, b.in.Len()); err != nil {
		return dst, err
	}
	k := b.in.Axes
	for ax := range k {
		x := b.axis
		for i := range x {
			x[i] = window[i*k+ax] * b.cfg.ScaleAxes
		}
		mu := mean(x)
		var skew, kurt float64
		if b.cfg.Skewness || b.cfg.Kurtosis {
			skew, kurt = centralMoments(x, b.scratch)
		}
		for _, s := range b.stats {
			var v float64
			switch s {
			case 0:
				v = mu
			case 1:
				v = x[0]
				for _, e := range x {
					v = math.Min(v, e)
				}
			case 2:
				v = x[0]
				for _, e := range x {
					v = math.Max(v, e)
				}
			case 3:
				v = rms(x, b.scratch)
			case 4:
				d := b.scratch[:len(x)]
				for i, e := range x {
					d[i] = (e - mu) * (e - mu)
				}
				v = math.Sqrt(mean(d))
			case 5:
				v = skew
			case 6:
				v = kurt
			}
			dst = append(dst, v)
		}
	}
	return dst, nil
}

// NumFeatures returns Axes times the number of enabled statistics.
func (b *Flatten) NumFeatures() int { return b.in.Axes * len(b.stats) }

// Output returns a flat output.
func (b *Flatten) Output() OutputConfig {
	return OutputConfig{Type: "flat", Shape: OutputShape{Width: float64(b.NumFeatures())}}
}

// Labels returns the names of the enabled statistics, once (not per axis).
func (b *Flatten) Labels() []string { return b.labels }

// Cost returns a few passes over each axis per statistic.
func (b *Flatten) Cost() Cost {
	return Cost{Block: TypeFlatten, Axes: b.in.Axes, Samples: b.in.Samples, Features: b.NumFeatures()}.statsCost()
}
