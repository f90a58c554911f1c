package anomaly

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"
)

// Model is what both fitted blocks, [*KMeans] and [*GMM], offer; [Load] returns one.
type Model interface {
	// Score returns the anomaly score of one feature vector without allocating.
	Score(x []float64) float64
	// NumFeatures returns the length of the feature vectors Score accepts.
	NumFeatures() int
	// Threshold returns the score above which a window is an anomaly.
	Threshold() float64
	// SetThreshold changes it.
	SetThreshold(float64)
	// BlockType returns the learn block type, "anomaly" or "anomaly-gmm".
	BlockType() string
	// Metadata returns Studio's AnomalyModelMetadata of the block.
	Metadata(created time.Time) Metadata
	// BlockConfig returns Studio's AnomalyConfig of the block.
	BlockConfig(name string, labels []string, deps Dependencies) (BlockConfig, error)
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

var (
	_ Model = (*KMeans)(nil)
	_ Model = (*GMM)(nil)
)

// The saved form of a model is little-endian binary:
//
//	magic "TIANOMAL" | version uint16 | kind uint8 | 0 uint8 | payload | CRC-32 (IEEE) of all before
//
// K-means payload: features, m, k uint32; axes [m]uint32; mean, scale [m]float64;
// threshold, inertia float64; iterations uint32; centres [k·m]float64; maxError [k]float64.
// GMM payload: features, m, K uint32; axes [m]uint32; weights [K]; means [K·m];
// covariances [K·m·m]; llMean, llScale, threshold, defaultThreshold, lowerBound float64;
// iterations uint32; converged uint8.

const (
	magic         = "TIANOMAL"
	formatVersion = 1
	kindKMeans    = 1
	kindGMM       = 2
	headerLen     = len(magic) + 4
	maxDim        = 1 << 20
)

// ErrFormat is returned (wrapped) for data that is not a valid saved model.
var ErrFormat = errors.New("anomaly: invalid model data")

func formatErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, a...))
}

type writer struct{ b []byte }

func (w *writer) u8(v uint8)    { w.b = append(w.b, v) }
func (w *writer) u32(v int)     { w.b = binary.LittleEndian.AppendUint32(w.b, uint32(v)) }
func (w *writer) f64(v float64) { w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(v)) }
func (w *writer) f64s(v []float64) {
	for _, x := range v {
		w.f64(x)
	}
}
func (w *writer) ints(v []int) {
	for _, x := range v {
		w.u32(x)
	}
}

func header(kind uint8) *writer {
	w := &writer{b: []byte(magic)}
	w.b = binary.LittleEndian.AppendUint16(w.b, formatVersion)
	w.u8(kind)
	w.u8(0)
	return w
}

func (w *writer) finish() []byte {
	return binary.LittleEndian.AppendUint32(w.b, crc32.ChecksumIEEE(w.b))
}

// MarshalBinary encodes the model in the versioned binary form that UnmarshalBinary and
// [Load] read.
func (km *KMeans) MarshalBinary() ([]byte, error) {
	w := header(kindKMeans)
	w.u32(km.features)
	w.u32(len(km.axes))
	w.u32(len(km.maxError))
	w.ints(km.axes)
	w.f64s(km.mean)
	w.f64s(km.scale)
	w.f64(km.threshold)
	w.f64(km.inertia)
	w.u32(km.iters)
	w.f64s(km.centers)
	w.f64s(km.maxError)
	return w.finish(), nil
}

// MarshalBinary encodes the model in the versioned binary form that UnmarshalBinary and
// [Load] read.
func (g *GMM) MarshalBinary() ([]byte, error) {
	w := header(kindGMM)
	w.u32(g.features)
	w.u32(len(g.axes))
	w.u32(len(g.weights))
	w.ints(g.axes)
	w.f64s(g.weights)
	w.f64s(g.means)
	w.f64s(g.covs)
	w.f64(g.llMean)
	w.f64(g.llScale)
	w.f64(g.threshold)
	w.f64(g.defaultThreshold)
	w.f64(g.lowerBound)
	w.u32(g.iters)
	if g.converged {
		w.u8(1)
	} else {
		w.u8(0)
	}
	return w.finish(), nil
}

// Load decodes a model saved by MarshalBinary, returning a *KMeans or a *GMM. Corrupt,
// truncated or inconsistent data gives an error wrapping [ErrFormat].
func Load(data []byte) (Model, error) {
	kind, payload, err := checkFrame(data)
	if err != nil {
		return nil, err
	}
	var m interface {
		Model
		decode(r *reader) error
	}
	switch kind {
	case kindKMeans:
		m = new(KMeans)
	case kindGMM:
		m = new(GMM)
	default:
		return nil, formatErr("unknown model kind %d", kind)
	}
	if err := m.decode(&reader{b: payload}); err != nil {
		return nil, err
	}
	return m, nil
}

// checkFrame validates magic, version and checksum and returns the kind and the payload.
func checkFrame(data []byte) (kind uint8, payload []byte, err error) {
	if len(data) < headerLen+4 {
		return 0, nil, formatErr("%d bytes, too short", len(data))
	}
	if string(data[:len(magic)]) != magic {
		return 0, nil, formatErr("not a tinyimpulse anomaly model")
	}
	if v := binary.LittleEndian.Uint16(data[len(magic):]); v != formatVersion {
		return 0, nil, formatErr("format version %d, this library reads version %d", v, formatVersion)
	}
	if data[len(magic)+3] != 0 {
		return 0, nil, formatErr("reserved header byte is %d", data[len(magic)+3])
	}
	body := data[:len(data)-4]
	if crc := binary.LittleEndian.Uint32(data[len(data)-4:]); crc != crc32.ChecksumIEEE(body) {
		return 0, nil, formatErr("checksum mismatch (corrupt or truncated)")
	}
	return data[len(magic)+2], body[headerLen:], nil
}

// openFrame validates data with checkFrame and returns a reader on its payload, which must
// be of the given kind (what names it in the error).
func openFrame(data []byte, want uint8, what string) (*reader, error) {
	kind, payload, err := checkFrame(data)
	if err != nil {
		return nil, err
	}
	if kind != want {
		return nil, formatErr("model kind %d is not %s", kind, what)
	}
	return &reader{b: payload}, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = formatErr("truncated payload")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32() int {
	if b := r.take(4); b != nil {
		return int(binary.LittleEndian.Uint32(b))
	}
	return 0
}

// f64 reads a float64 that must be finite.
func (r *reader) f64(name string) float64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(b))
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.err = formatErr("%s is %v", name, v)
	}
	return v
}

func (r *reader) f64s(name string, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.f64(name)
	}
	return v
}

// dims reads features, m and k and checks that the payload has exactly the length they
// imply (fixed bytes plus perM·m + perK·k + perKM·k·m + perKMM·k·m·m floats), before
// anything is allocated.
func (r *reader) dims(fixed, perM, perK, perKM, perKMM int) (features, m, k int) {
	features, m, k = r.u32(), r.u32(), r.u32()
	if r.err != nil {
		return
	}
	if features < 1 || features > maxDim || m < 1 || m > features || k < 1 || k > maxDim {
		r.err = formatErr("bad dimensions: %d features, %d axes, %d clusters", features, m, k)
		return
	}
	uk, um := uint64(k), uint64(m)
	want := uint64(fixed) + 4*um + 8*(uint64(perM)*um+uint64(perK)*uk+uint64(perKM)*uk*um+uint64(perKMM)*uk*um*um)
	if want != uint64(len(r.b)) {
		r.err = formatErr("payload is %d bytes, dimensions imply %d", len(r.b), want)
	}
	return
}

func (r *reader) axes(m, features int) []int {
	axes := make([]int, m)
	for i := range axes {
		axes[i] = r.u32()
		if r.err == nil && (axes[i] >= features || (i > 0 && axes[i] <= axes[i-1])) {
			r.err = formatErr("axes not ascending indices below %d", features)
		}
	}
	return axes
}

// UnmarshalBinary decodes a K-means model saved by MarshalBinary. On error the receiver is
// unchanged.
func (km *KMeans) UnmarshalBinary(data []byte) error {
	r, err := openFrame(data, kindKMeans, "K-means")
	if err != nil {
		return err
	}
	return km.decode(r)
}

// decode reads a K-means payload into km, which is unchanged on error.
func (km *KMeans) decode(r *reader) error {
	features, m, k := r.dims(8+8+4, 2, 1, 1, 0)
	if r.err != nil {
		return r.err
	}
	v := KMeans{features: features}
	v.axes = r.axes(m, features)
	v.mean = r.f64s("mean", m)
	v.scale = r.f64s("scale", m)
	v.threshold = r.f64("threshold")
	v.inertia = r.f64("inertia")
	v.iters = r.u32()
	v.centers = r.f64s("centre", k*m)
	v.maxError = r.f64s("maxError", k)
	if r.err != nil {
		return r.err
	}
	for _, s := range v.scale {
		if !(s > 0) {
			return formatErr("scale %v is not positive", s)
		}
	}
	for _, e := range v.maxError {
		if e < 0 {
			return formatErr("maxError %v is negative", e)
		}
	}
	v.pad()
	*km = v
	return nil
}

// UnmarshalBinary decodes a GMM saved by MarshalBinary. On error the receiver is unchanged.
func (g *GMM) UnmarshalBinary(data []byte) error {
	r, err := openFrame(data, kindGMM, "GMM")
	if err != nil {
		return err
	}
	return g.decode(r)
}

// decode reads a GMM payload into g, which is unchanged on error.
func (g *GMM) decode(r *reader) error {
	features, m, k := r.dims(5*8+4+1, 0, 1, 1, 1)
	if r.err != nil {
		return r.err
	}
	v := GMM{features: features}
	v.axes = r.axes(m, features)
	v.weights = r.f64s("weight", k)
	v.means = r.f64s("mean", k*m)
	v.covs = r.f64s("covariance", k*m*m)
	v.llMean = r.f64("llMean")
	v.llScale = r.f64("llScale")
	v.threshold = r.f64("threshold")
	v.defaultThreshold = r.f64("defaultThreshold")
	v.lowerBound = r.f64("lowerBound")
	v.iters = r.u32()
	conv := r.u8()
	if r.err != nil {
		return r.err
	}
	if conv > 1 {
		return formatErr("converged flag %d", conv)
	}
	v.converged = conv == 1
	for _, w := range v.weights {
		if !(w > 0) || w > 1 {
			return formatErr("weight %v outside (0, 1]", w)
		}
	}
	if !(v.llScale > 0) {
		return formatErr("llScale %v is not positive", v.llScale)
	}
	for c := 0; c < k; c++ {
		cov := v.covs[c*m*m : (c+1)*m*m]
		for i := 0; i < m; i++ {
			for j := 0; j < i; j++ {
				if cov[i*m+j] != cov[j*m+i] {
					return formatErr("covariance %d is not symmetric", c)
				}
			}
		}
	}
	if err := v.derive(); err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	*g = v
	return nil
}
