package learn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// File format (version 1), little-endian:
//
//	magic   "TILEARN\x00" (8 bytes)
//	version uint32 (1)
//	kind    uint32 (1 = float32 network, 2 = int8 network)
//	hlen    uint32, then hlen bytes of JSON header (fileHeader)
//	payload float32: parameters then batch-norm state;
//	        int8: for every convolution/dense/affine op, its int8 weights then int32 biases
//	crc     uint32, CRC-32 (IEEE) of everything before it
//
// The header names the visual layers, input shape and outputs; the loader
// rebuilds the network from them and requires the payload to have exactly the
// size that network needs.

const (
	fileMagic   = "TILEARN\x00"
	fileVersion = 1
	kindFloat32 = 1
	kindInt8    = 2
	maxHeader   = 1 << 20
)

// ErrFormat is returned (wrapped) for a file that is not a valid saved network.
var ErrFormat = errors.New("learn: invalid network file")

type fileInput struct {
	Kind     InputKind `json:"kind"`
	Width    int       `json:"width"`
	Height   int       `json:"height,omitempty"`
	Channels int       `json:"channels,omitempty"`
}

type fileQuant struct {
	Scale     float64   `json:"scale"`
	ZeroPoint int32     `json:"zeroPoint"`
	WScale    []float64 `json:"weightScales,omitempty"`
}

type fileHeader struct {
	VisualLayers []VisualLayer `json:"visualLayers"`
	Input        fileInput     `json:"input"`
	Outputs      int           `json:"outputs"`
	Regression   bool          `json:"regression"`
	Labels       []string      `json:"labels"`
	// int8 only: the input's and every op's output quantisation.
	InputQuant *fileQuant  `json:"inputQuant,omitempty"`
	Ops        []fileQuant `json:"ops,omitempty"`
}

func header(vis []VisualLayer, in Input, outputs int, regression bool, labels []string) fileHeader {
	return fileHeader{VisualLayers: vis, Input: fileInput{in.Kind, in.Width, in.Height, in.Channels},
		Outputs: outputs, Regression: regression, Labels: labels}
}

func marshal(kind uint32, h fileHeader, payload []byte) ([]byte, error) {
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("learn: encoding header: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(fileMagic)
	b.Write(binary.LittleEndian.AppendUint32(nil, fileVersion))
	b.Write(binary.LittleEndian.AppendUint32(nil, kind))
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(hj))))
	b.Write(hj)
	b.Write(payload)
	out := b.Bytes()
	return binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out)), nil
}

// unmarshal checks the container and returns the header and payload.
func unmarshal(data []byte, wantKind uint32) (fileHeader, []byte, error) {
	var h fileHeader
	if len(data) < len(fileMagic)+16 {
		return h, nil, fmt.Errorf("%w: %d bytes is too short", ErrFormat, len(data))
	}
	if string(data[:len(fileMagic)]) != fileMagic {
		return h, nil, fmt.Errorf("%w: bad magic", ErrFormat)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	p := body[len(fileMagic):]
	ver, kind, hl := binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[4:]), binary.LittleEndian.Uint32(p[8:])
	if ver != fileVersion {
		return h, nil, fmt.Errorf("%w: version %d, this package reads %d", ErrFormat, ver, fileVersion)
	}
	if crc32.ChecksumIEEE(body) != sum {
		return h, nil, fmt.Errorf("%w: checksum mismatch (corrupt or truncated)", ErrFormat)
	}
	if kind != wantKind {
		return h, nil, fmt.Errorf("%w: file holds a network of kind %d, want %d", ErrFormat, kind, wantKind)
	}
	p = p[12:]
	if hl > maxHeader || int(hl) > len(p) {
		return h, nil, fmt.Errorf("%w: header length %d", ErrFormat, hl)
	}
	if err := json.Unmarshal(p[:hl], &h); err != nil {
		return h, nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	return h, p[hl:], nil
}

// rebuild constructs the (zero-weight) float network a header describes.
func (h fileHeader) rebuild(limit int) (*Network, error) {
	in := Input{h.Input.Kind, h.Input.Width, h.Input.Height, h.Input.Channels}
	if h.Outputs <= 0 || h.Outputs > 1<<16 {
		return nil, fmt.Errorf("%w: %d outputs", ErrFormat, h.Outputs)
	}
	if h.Regression && h.Outputs != 1 {
		return nil, fmt.Errorf("%w: regression network with %d outputs", ErrFormat, h.Outputs)
	}
	if len(h.Labels) != h.Outputs {
		return nil, fmt.Errorf("%w: %d labels for %d outputs", ErrFormat, len(h.Labels), h.Outputs)
	}
	n, err := buildLimit(Config{VisualLayers: h.VisualLayers}, in, h.Outputs, h.Regression, limit)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	n.labels = h.Labels
	return n, nil
}

// MarshalBinary encodes the network (architecture, labels, weights and batch
// normalisation statistics) in the package's versioned file format.
func (n *Network) MarshalBinary() ([]byte, error) {
	payload := make([]byte, 0, 4*(len(n.params)+len(n.state)))
	for _, v := range n.params {
		payload = binary.LittleEndian.AppendUint32(payload, math.Float32bits(v))
	}
	for _, v := range n.state {
		payload = binary.LittleEndian.AppendUint32(payload, math.Float32bits(v))
	}
	return marshal(kindFloat32, header(n.vis, n.in, n.Outputs(), n.regression, n.labels), payload)
}

// UnmarshalNetwork decodes a network written by [Network.MarshalBinary]. Malformed,
// truncated or corrupted data gives an error wrapping [ErrFormat].
func UnmarshalNetwork(data []byte) (*Network, error) {
	h, payload, err := unmarshal(data, kindFloat32)
	if err != nil {
		return nil, err
	}
	n, err := h.rebuild(len(payload) / 4)
	if err != nil {
		return nil, err
	}
	if want := 4 * (len(n.params) + len(n.state)); len(payload) != want {
		return nil, fmt.Errorf("%w: %d payload bytes, the network needs %d", ErrFormat, len(payload), want)
	}
	for i := range n.params {
		n.params[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload[4*i:]))
	}
	payload = payload[4*len(n.params):]
	for i := range n.state {
		n.state[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload[4*i:]))
	}
	for _, v := range append(n.params[:len(n.params):len(n.params)], n.state...) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: non-finite weight", ErrFormat)
		}
	}
	for i := range n.layers {
		if l := &n.layers[i]; l.kind == kBatchNorm {
			for _, v := range n.state[l.s+l.out.c : l.s+2*l.out.c] {
				if v < 0 {
					return nil, fmt.Errorf("%w: negative moving variance", ErrFormat)
				}
			}
		}
	}
	return n, nil
}

// MarshalBinary encodes the int8 network in the package's versioned file format.
func (q *Int8Network) MarshalBinary() ([]byte, error) {
	h := header(q.vis, q.in, q.Outputs(), q.regression, q.labels)
	h.InputQuant = &fileQuant{Scale: q.input.Scale, ZeroPoint: q.input.ZeroPoint}
	var payload []byte
	for _, l := range q.layers {
		fq := fileQuant{Scale: l.outQ.Scale, ZeroPoint: l.outQ.ZeroPoint, WScale: l.wScale}
		h.Ops = append(h.Ops, fq)
		for _, w := range l.w {
			payload = append(payload, byte(w))
		}
		for _, b := range l.bias {
			payload = binary.LittleEndian.AppendUint32(payload, uint32(b))
		}
	}
	return marshal(kindInt8, h, payload)
}

func (f fileQuant) valid() bool {
	s := float32Scale(f.Scale)
	return f.Scale > 0 && s > 0 && !math.IsInf(s, 0) && f.ZeroPoint >= -128 && f.ZeroPoint <= 127
}

// UnmarshalInt8Network decodes a network written by [Int8Network.MarshalBinary].
// Malformed, truncated or corrupted data gives an error wrapping [ErrFormat].
func UnmarshalInt8Network(data []byte) (*Int8Network, error) {
	h, payload, err := unmarshal(data, kindInt8)
	if err != nil {
		return nil, err
	}
	n, err := h.rebuild(len(payload))
	if err != nil {
		return nil, err
	}
	q := &Int8Network{in: n.in, regression: n.regression, labels: n.labels, vis: n.vis, float: n.layers, layers: int8Layout(n.layers)}
	if h.InputQuant == nil || !h.InputQuant.valid() {
		return nil, fmt.Errorf("%w: missing or invalid input quantisation", ErrFormat)
	}
	if len(h.Ops) != len(q.layers) {
		return nil, fmt.Errorf("%w: %d ops, the network has %d", ErrFormat, len(h.Ops), len(q.layers))
	}
	cur := QuantParams{float32Scale(h.InputQuant.Scale), h.InputQuant.ZeroPoint}
	q.input = cur
	for i := range q.layers {
		ql, f := &q.layers[i], h.Ops[i]
		if !f.valid() {
			return nil, fmt.Errorf("%w: op %d has invalid quantisation", ErrFormat, i)
		}
		ql.inQ, ql.outQ = cur, QuantParams{float32Scale(f.Scale), f.ZeroPoint}
		switch {
		case ql.kind == qPool && ql.outQ != ql.inQ:
			return nil, fmt.Errorf("%w: op %d (max pooling) changes the quantisation %+v to %+v", ErrFormat, i, ql.inQ, ql.outQ)
		case ql.kind == qSoftmax && ql.outQ != softmaxQuant:
			return nil, fmt.Errorf("%w: op %d (softmax) has output quantisation %+v, want %+v", ErrFormat, i, ql.outQ, softmaxQuant)
		}
		if ql.kind == qConv || ql.kind == qAffine {
			l := &n.layers[ql.src]
			nw, cout := l.wn, l.out.c
			if ql.kind == qAffine {
				nw = cout
			}
			if ql.perTensor {
				cout = 1 // a dense layer's weights have one scale
			}
			if len(f.WScale) != cout {
				if ql.perTensor && len(f.WScale) == l.out.c {
					return nil, fmt.Errorf("%w: op %d (dense) has a weight scale per output channel: the file predates per-tensor dense weights (which TensorFlow Lite 2.9 needs); quantise the network again", ErrFormat, i)
				}
				return nil, fmt.Errorf("%w: op %d has %d weight scales, want %d", ErrFormat, i, len(f.WScale), cout)
			}
			for j, s := range f.WScale {
				if !(s > 0) || math.IsInf(s, 0) || float32Scale(s) == 0 || math.IsInf(float32Scale(s), 0) {
					return nil, fmt.Errorf("%w: op %d has weight scale %v", ErrFormat, i, s)
				}
				f.WScale[j] = float32Scale(s)
			}
			cout = l.out.c
			if len(payload) < nw+4*cout {
				return nil, fmt.Errorf("%w: payload too short for op %d", ErrFormat, i)
			}
			ql.wScale = f.WScale
			ql.w = make([]int8, nw)
			for j := range ql.w {
				ql.w[j] = int8(payload[j])
			}
			payload = payload[nw:]
			ql.bias = make([]int32, cout)
			for j := range ql.bias {
				ql.bias[j] = int32(binary.LittleEndian.Uint32(payload[4*j:]))
			}
			payload = payload[4*cout:]
		} else if len(f.WScale) != 0 {
			return nil, fmt.Errorf("%w: op %d takes no weights", ErrFormat, i)
		}
		ql.finish()
		cur = ql.outQ
	}
	if len(payload) != 0 {
		return nil, fmt.Errorf("%w: %d bytes left over", ErrFormat, len(payload))
	}
	q.output = cur
	q.sizes()
	return q, nil
}
