package dsp

// RawConfig holds the parameters of Edge Impulse's "raw" block.
type RawConfig struct {
	// ImplementationVersion is the block version; 0 means the latest, 1.
	ImplementationVersion int `json:"-"`
	// ScaleAxes multiplies every value (Studio default 1).
	ScaleAxes float64 `json:"scale-axes"`
}

// DefaultRawConfig returns Studio's defaults for the raw block.
func DefaultRawConfig() RawConfig { return RawConfig{ScaleAxes: 1} }

// UnmarshalJSON reads Studio's parameters, starting from the defaults.
func (c *RawConfig) UnmarshalJSON(b []byte) error {
	return unmarshalParams("raw", b, c.setParams)
}

func (c *RawConfig) setParams(p map[string]any) error {
	v := c.ImplementationVersion
	*c = DefaultRawConfig()
	c.ImplementationVersion = v
	r := newParamReader("raw", p)
	r.float("scale-axes", &c.ScaleAxes)
	return r.done()
}

// Raw is Edge Impulse's "raw" block: the window itself, every value
// multiplied by scale-axes, in the same interleaved order.
type Raw struct {
	cfg RawConfig
	in  Input
}

// NewRaw returns a raw block for windows described by in.
func NewRaw(cfg RawConfig, in Input) (*Raw, error) {
	if err := resolveVersion("raw", &cfg.ImplementationVersion, "implementation_version should be 1"); err != nil {
		return nil, err
	}
	if err := checkTimeInput("raw", in); err != nil {
		return nil, err
	}
	return &Raw{cfg: cfg, in: in}, nil
}

// AppendFeatures appends window·scale-axes to dst.
func (b *Raw) AppendFeatures(dst, window []float64) ([]float64, error) {
	if err := checkWindow("raw", window, b.in.Len()); err != nil {
		return dst, err
	}
	if b.cfg.ScaleAxes == 1 {
		return append(dst, window...), nil
	}
	for _, v := range window {
		dst = append(dst, v*b.cfg.ScaleAxes)
	}
	return dst, nil
}

// NumFeatures returns Samples·Axes.
func (b *Raw) NumFeatures() int { return b.in.Len() }

// Output returns a flat output of Samples·Axes values.
func (b *Raw) Output() OutputConfig {
	return OutputConfig{Type: "flat", Shape: OutputShape{Width: float64(b.NumFeatures())}}
}

// Labels returns nil: the raw block has no feature labels.
func (b *Raw) Labels() []string { return nil }

// Cost returns one multiplication per value.
func (b *Raw) Cost() Cost {
	n := b.NumFeatures()
	return Cost{Block: TypeRaw, Axes: b.in.Axes, Samples: b.in.Samples, Features: n}.statsCost()
}
