package device

import (
	"encoding/json"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
)

// TestDSPPerformanceSchema writes a processing block's estimate as Studio's
// DspPerformance (golden file) and type-checks it against Edge Impulse's
// published API types (see internal/eischema; it skips without
// ../shared/tools, node or npm, or in -short mode).
func TestDSPPerformanceSchema(t *testing.T) {
	p, err := ProfileDSP("", dspCost(t, dsp.TypeSpectral, map[string]any{"fft-length": 128}, dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125}), ProfileConfig{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(p.Performance(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "dsp_performance.json", append(b, '\n'))
	eischema.Check(t, p.Performance(), "DspPerformance")
}
