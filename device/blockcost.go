package device

import (
	"fmt"
	"math"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// BlockProfile is the estimate of a processing or anomaly block on a target.
type BlockProfile struct {
	Name   string
	Target Target
	// Cycles and LatencyMs are the time per window on the target.
	Cycles    float64
	LatencyMs float64
	// RAM is the working memory; ROM the code and constant data.
	RAM, ROM int
}

// DSPPerformance is Studio's DspPerformance of a processing block.
type DSPPerformance struct {
	// Latency is in whole milliseconds, at least 1.
	Latency         int    `json:"latency"`
	RAM             int    `json:"ram"`
	CustomDSPString string `json:"customDspString,omitempty"`
}

// Performance returns the block's estimate as Studio's DspPerformance.
func (p BlockProfile) Performance() DSPPerformance {
	return DSPPerformance{Latency: LatencyMillis(p.LatencyMs), RAM: p.RAM}
}

// ProfileDSP estimates the time, RAM and ROM of a processing block on the
// target of c, named name (the block type when ""), from the block's cost
// figures (dsp.Block.Cost): Edge Impulse's Cortex-M4F cycle model
// (device-estimates.md §5.6) scaled to the target's core by its float32
// factor, the block's working memory plus the SDK's RAM overhead, and its
// ROM scaled by the core's code-size factor. It returns an error wrapping
// [ErrValue] for a cost without cycles (a zero or foreign dsp.Cost) and the
// errors of [ProfileNetwork] for the target.
func ProfileDSP(name string, cost dsp.Cost, c ProfileConfig) (BlockProfile, error) {
	p, core, err := newBlockProfile(c, name, cost.Block)
	if err != nil {
		return p, err
	}
	if !(cost.Cycles > 0) || math.IsInf(cost.Cycles, 0) || cost.RAM < 0 || cost.ROM < 0 {
		return p, fmt.Errorf("device: ProfileDSP %s: cost of %v cycles, %d B RAM, %d B ROM: %w", cost.Block, cost.Cycles, cost.RAM, cost.ROM, ErrValue)
	}
	p.setCycles(cost.Cycles)
	p.RAM = cost.RAM + c.SDKRAMOverhead
	p.ROM = int(float64(cost.ROM)*core.rom + 0.5)
	return p, nil
}

// newBlockProfile returns the estimate of a processing or anomaly block
// named name (kind when "") on the target of c, to be filled in, with the
// target's core.
func newBlockProfile(c ProfileConfig, name, kind string) (BlockProfile, coreParams, error) {
	t, core, err := c.target()
	if err != nil {
		return BlockProfile{}, core, err
	}
	if name == "" {
		name = kind
	}
	return BlockProfile{Name: name, Target: t}, core, nil
}

// setCycles sets the cycles and latency from the block's Cortex-M4 float
// cycle count, converted to the target's core.
func (p *BlockProfile) setCycles(m4 float64) {
	p.Cycles = m4 * p.Target.Core.Factor(Float32) / CortexM4.Factor(Float32)
	p.LatencyMs = p.Target.millis(p.Cycles)
}

// AnomalyKind names an anomaly block.
type AnomalyKind string

// Anomaly blocks the cost model knows (device-estimates.md §5.5).
const (
	AnomalyKMeans AnomalyKind = "anomaly"
	AnomalyGMM    AnomalyKind = "anomaly-gmm"
)

// AnomalyBlock describes an anomaly block: its kind, number of clusters
// (K-means) or mixture components (GMM), and input features.
type AnomalyBlock struct {
	Name     string      `json:"name,omitempty"`
	Kind     AnomalyKind `json:"kind"`
	Clusters int         `json:"clusters"`
	Features int         `json:"features"`
}

// ProfileAnomaly estimates an anomaly block on the target of c
// (device-estimates.md §5.5, §4.5). Cortex-M4 float cycles per window:
// K-means K·(4·F + 20) + 200 (distance to every centroid); GMM with full
// covariances C·(3·F² + 6·F + 60). ROM holds the model: K-means
// 4·K·(F+1) + 1 KB, GMM 4·C·(F + F² + 1) + 2 KB. RAM is the working
// buffers: the feature vector, one value per cluster and, for GMM, a
// centred copy of the features (4·(F + K) + 64, or 4·(2F + C) + 64).
func ProfileAnomaly(a AnomalyBlock, c ProfileConfig) (BlockProfile, error) {
	p, _, err := newBlockProfile(c, a.Name, string(a.Kind))
	if err != nil {
		return p, err
	}
	if a.Clusters <= 0 || a.Features <= 0 {
		return p, fmt.Errorf("device: ProfileAnomaly: clusters=%d features=%d, want > 0: %w", a.Clusters, a.Features, ErrValue)
	}
	k, f := float64(a.Clusters), float64(a.Features)
	var cycles float64
	switch a.Kind {
	case AnomalyKMeans:
		cycles = k*(4*f+20) + 200
		p.ROM = 4*a.Clusters*(a.Features+1) + 1024
		p.RAM = 4*(a.Features+a.Clusters) + 64
	case AnomalyGMM:
		cycles = k * (3*f*f + 6*f + 60)
		p.ROM = 4*a.Clusters*(a.Features+a.Features*a.Features+1) + 2048
		p.RAM = 4*(2*a.Features+a.Clusters) + 64
	default:
		return p, fmt.Errorf("device: ProfileAnomaly: unknown block kind %q: %w", a.Kind, ErrValue)
	}
	p.setCycles(cycles)
	p.RAM += c.SDKRAMOverhead
	return p, nil
}
