package impulse

import (
	"fmt"

	"github.com/tinyimpulse/tinyimpulse/metrics"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Estimate returns the on-device estimates of every block of the impulse on
// one target ("" means metrics.DefaultTarget): the processing blocks, each
// neural network in both model types, and the anomaly blocks. Its
// WriteTable method prints them for people.
func (m *Model) Estimate(target string) (*metrics.DeviceSummary, error) {
	t, err := metrics.LookupTarget(target)
	if err != nil {
		return nil, err
	}
	if !t.HasPerformance {
		return nil, fmt.Errorf("impulse: %s (%s) has no performance model for estimates", t.Name, t.ID)
	}
	cfg := metrics.ProfileConfig{Target: t.ID}
	sum := &metrics.DeviceSummary{Target: t}
	for _, b := range m.def.Impulse.DSPBlocks {
		p, err := metrics.ProfileDSP(dspCost(m.def.shapes[b.ID]), cfg)
		if err != nil {
			return nil, fmt.Errorf("impulse: DSP block %d: %w", b.ID, err)
		}
		sum.DSP = append(sum.DSP, p)
	}
	for _, k := range m.keras {
		// The selected model type first: the summary's totals use it.
		nets := []*metrics.Network{metricsNetwork(k.int8.Ops(), metrics.Int8), metricsNetwork(k.float.Ops(), metrics.Float32)}
		if k.variant == "float32" {
			nets[0], nets[1] = nets[1], nets[0]
		}
		for _, n := range nets {
			p, err := metrics.ProfileNetwork(n, cfg)
			if err != nil {
				return nil, fmt.Errorf("impulse: learn block %d (%s): %w", k.block.ID, n.DType, err)
			}
			sum.NN = append(sum.NN, p)
		}
	}
	for _, a := range m.anomalies {
		kind, clusters := metrics.AnomalyKMeans, 0
		if md := a.config.Metadata; md != nil {
			clusters = len(md.Clusters)
		}
		if a.block.Type == studio.LearnAnomalyGMM {
			kind = metrics.AnomalyGMM
			if g := a.config.GMMMetadata; g != nil {
				clusters = len(g.Weights)
			}
		}
		p, err := metrics.ProfileAnomaly(metrics.AnomalyBlock{Name: a.block.Name, Kind: kind, Clusters: max(clusters, 1),
			Features: len(a.config.Config.SelectedAxes)}, cfg)
		if err != nil {
			return nil, fmt.Errorf("impulse: anomaly block %d: %w", a.block.ID, err)
		}
		sum.Anomaly = append(sum.Anomaly, p)
	}
	return sum, nil
}
