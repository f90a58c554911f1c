package dsp

import (
	"math"
	"slices"
)

// MFEConfig holds the parameters of Edge Impulse's "mfe" (Audio MFE)
// block.
type MFEConfig struct {
	// ImplementationVersion is 1 to 4; 0 means the latest, 4.
	ImplementationVersion int `json:"-"`

	FrameLength   float64 `json:"frame_length"`   // seconds (default 0.02)
	FrameStride   float64 `json:"frame_stride"`   // seconds (default 0.01)
	NumFilters    int     `json:"num_filters"`    // mel filters, at least 2 (default 40)
	FFTLength     int     `json:"fft_length"`     // power of two (default 256)
	LowFrequency  int     `json:"low_frequency"`  // Hz (default 0)
	HighFrequency int     `json:"high_frequency"` // Hz; 0 means half the sampling frequency (default 0)
	WinSize       int     `json:"win_size"`       // odd normalisation window in frames, at most 65535, versions 1 and 2 (default 101)
	NoiseFloorDB  int     `json:"noise_floor_db"` // dB, below 12, versions 3 and 4 (default -52)
}

// DefaultMFEConfig returns Studio's defaults for the MFE block.
func DefaultMFEConfig() MFEConfig {
	return MFEConfig{FrameLength: 0.02, FrameStride: 0.01, NumFilters: 40, FFTLength: 256, WinSize: 101, NoiseFloorDB: -52}
}

// UnmarshalJSON reads Studio's parameters, starting from the defaults.
func (c *MFEConfig) UnmarshalJSON(b []byte) error {
	return unmarshalParams("mfe", b, c.setParams)
}

func (c *MFEConfig) setParams(p map[string]any) error {
	v := c.ImplementationVersion
	*c = DefaultMFEConfig()
	c.ImplementationVersion = v
	r := newParamReader("mfe", p)
	r.float("frame_length", &c.FrameLength)
	r.float("frame_stride", &c.FrameStride)
	r.int("num_filters", &c.NumFilters)
	r.int("fft_length", &c.FFTLength)
	r.int("low_frequency", &c.LowFrequency)
	r.int("high_frequency", &c.HighFrequency)
	r.int("win_size", &c.WinSize)
	r.int("noise_floor_db", &c.NoiseFloorDB)
	return r.done()
}

// MFE is Edge Impulse's "mfe" block: mel filterbank energies of each frame
// of a single-axis signal. Versions 3 and 4 scale int16 audio to [-1, 1],
// apply pre-emphasis (0.98, circular), and quantise the energies in
// decibels above the noise floor to k/256 (with Edge Impulse's uint8
// wrap-around, which turns a quantised 256 into 0). Versions 1 and 2 use
// the linear energies with sliding mean normalisation and min-max scaling.
// Features are frame by frame, num_filters each.
type MFE struct {
	audioFront
	cfg   MFEConfig
	norm  *cmvnw       // versions 1 and 2
	quant *dbQuantizer // versions 3 and 4
}

// NewMFE returns an MFE block for windows described by in.
func NewMFE(cfg MFEConfig, in Input) (*MFE, error) {
	const name = "mfe"
	if err := resolveVersion(name, &cfg.ImplementationVersion, "implementation_version should be less than 5"); err != nil {
		return nil, err
	}
	v := cfg.ImplementationVersion
	front, err := newAudioFront(audioParams{block: name, label: "MFE", version: v,
		frameLength: cfg.FrameLength, frameStride: cfg.FrameStride, fftLength: cfg.FFTLength,
		filters: cfg.NumFilters, lowHz: cfg.LowFrequency, highHz: cfg.HighFrequency}, in)
	if err != nil {
		return nil, err
	}
	fr := front.fr
	b := &MFE{audioFront: front, cfg: cfg}
	if v <= 2 {
		if b.norm, err = newCMVNW(name, fr.count, cfg.NumFilters, cfg.WinSize); err != nil {
			return nil, err
		}
	} else {
		if err := checkNoiseFloor(name, cfg.NoiseFloorDB); err != nil {
			return nil, err
		}
		b.quant = newDBQuantizer(float64(cfg.NoiseFloorDB))
	}
	return b, nil
}

// maxFilters bounds num_filters (and num_cepstral) against absurd
// configurations.
const maxFilters = 4096

// AppendFeatures appends the mel energies of one window to dst.
func (b *MFE) AppendFeatures(dst, window []float64) ([]float64, error) {
	if err := checkWindow("mfe", window, b.in.Samples); err != nil {
		return dst, err
	}
	v := b.cfg.ImplementationVersion
	x := window
	if v >= 3 {
		// Scale to [-1, 1] and pre-emphasise, all in float32 as the
		// reference does; the first sample uses the last (circular).
		n := len(window)
		preEmphasis32(b.x[:n], window)
		b.x[0] = float64(float32(window[0]*inv32768) - float32(preCof32*float32(window[n-1]*inv32768)))
		x = b.x
	}
	b.spectrum(x)
	energy := b.energy[:b.NumFeatures()]
	n0 := len(dst)
	dst = slices.Grow(dst, len(energy))[:n0+len(energy)]
	out := dst[n0:]
	if v <= 2 {
		b.norm.apply(out, energy, false)
		lo, hi := float32(out[0]), float32(out[0])
		for _, e := range out {
			lo = min(lo, float32(e))
			hi = max(hi, float32(e))
		}
		if lo != 0 && hi != 0 {
			span := hi - lo
			for i, e := range out {
				q := (float32(e) - lo) / span
				if q != q {
					q = 0
				}
				out[i] = float64(q)
			}
		}
		return dst, nil
	}
	q := b.quant
	for i, e := range energy {
		k := q.tableLevel(e) // inlined: one table read and one comparison
		if k < 0 {
			k = q.fastLevel(e)
		}
		out[i] = float64(k&255) / 256 // exact; level 256 wraps to 0
	}
	return dst, nil
}

// dbQuantizer maps filterbank energies to the levels of MFE versions 3 and
// 4: q = round_half_even(256·D) with D = clip((10·log10(E) - nf)/(12 - nf),
// 0, 1). The result 256 becomes 0 when the caller stores it as uint8, as
// Edge Impulse's block does.
//
// Levels are equal steps in decibels, so they are found without a
// logarithm: thr[q] is the energy at which the level reaches q, from the
// exact decibel boundary (q - 0.5)/256. For positive float64 values the bit
// pattern grows with the value, so the top 18 bits (exponent and six
// mantissa bits) cut the energy axis into slots of 1/64 octave, less than
// one level wide for noise floors up to -20 dB. Each slot between thr[1]
// and thr[256] records its level at the start and the one threshold inside
// it, if any: the level of an energy is then one table read and one
// comparison. Energies within 1e-9 (relative) of a threshold, where
// rounding in the reference computation could decide, and slots holding
// several thresholds, use the reference computation.
type dbQuantizer struct {
	nf   float64
	thr  [258]float64 // thr[0] = 0 and thr[257] = +Inf are sentinels
	base uint64       // top bits of thr[1]: slot 0
	tab  []dbSlot
}

type dbSlot struct {
	lo, hi float64 // the nearest threshold at or below the slot start, and the one inside the slot (+Inf if none)
	k      int32   // level at the slot start; -1 if the slot holds several thresholds
}

// dbSlotShift keeps the exponent and six mantissa bits of an energy.
const dbSlotShift = 46

func newDBQuantizer(nf float64) *dbQuantizer {
	q := &dbQuantizer{nf: nf}
	for k := 1; k <= 256; k++ {
		db := nf + (float64(k)-0.5)/256*(12-nf)
		q.thr[k] = math.Pow(10, db/10)
	}
	q.thr[257] = math.Inf(1)
	q.base = math.Float64bits(q.thr[1]) >> dbSlotShift
	top := math.Float64bits(q.thr[256]) >> dbSlotShift
	q.tab = make([]dbSlot, top-q.base+1)
	k := 0 // thresholds at or below the slot start
	for s := range q.tab {
		start := math.Float64frombits((q.base + uint64(s)) << dbSlotShift)
		end := math.Float64frombits((q.base + uint64(s) + 1) << dbSlotShift)
		for k < 256 && q.thr[k+1] <= start {
			k++
		}
		n := 0
		for j := k + 1; j <= 256 && q.thr[j] < end; j++ {
			n++
		}
		slot := dbSlot{lo: q.thr[k], hi: q.thr[k+1], k: int32(k)}
		if n > 1 {
			slot.k = -1
		}
		if n == 0 {
			slot.hi = math.Inf(1)
		}
		q.tab[s] = slot
	}
	return q
}

// level is the reference computation, with a logarithm.
func (q *dbQuantizer) level(e float64) int {
	d := min(max(dbScale(e, q.nf), 0), 1)
	return int(math.RoundToEven(256 * d))
}

// dbBand is the relative distance from a threshold within which the
// reference computation decides the level.
const dbBand = 1e-9

// tableLevel returns the level of e from its slot, or -1 when the slot
// cannot decide: e outside the table, within dbBand of a threshold, or in
// a slot holding several thresholds. It is small enough to be inlined.
func (q *dbQuantizer) tableLevel(e float64) int {
	s := math.Float64bits(e)>>dbSlotShift - q.base
	if s >= uint64(len(q.tab)) {
		return -1
	}
	slot := &q.tab[s]
	d := slot.hi - e
	switch {
	case slot.k < 0:
	case e-slot.lo >= dbBand*e && d >= dbBand*e:
		return int(slot.k)
	case d <= -dbBand*e:
		return int(slot.k) + 1
	}
	return -1
}

// fastLevel returns level(e), from the slot table where it can.
func (q *dbQuantizer) fastLevel(e float64) int {
	if k := q.tableLevel(e); k >= 0 {
		return k
	}
	// Below thr[1] (e's slot wraps around) or above thr[256].
	switch {
	case e > 0 && e < q.thr[1]*(1-dbBand):
		return 0
	case e > q.thr[256]*(1+dbBand):
		return 256
	}
	return q.level(e)
}

// NumFeatures returns frames·num_filters.
func (b *MFE) NumFeatures() int { return b.fr.count * b.cfg.NumFilters }

// Output returns a spectrogram output: width frames, height num_filters.
func (b *MFE) Output() OutputConfig {
	return OutputConfig{Type: "spectrogram", Shape: OutputShape{Width: float64(b.fr.count), Height: b.cfg.NumFilters}}
}

// Labels returns nil: the MFE block has no feature labels.
func (b *MFE) Labels() []string { return nil }

// Cost returns the framing, FFT and filterbank figures of one window.
func (b *MFE) Cost() Cost {
	return b.cost("mfe", 0, b.NumFeatures())
}
