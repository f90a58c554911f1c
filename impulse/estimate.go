package impulse

import (
	"fmt"

	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Estimate returns the on-device estimates of every block of the impulse on
// one target ("" means device.DefaultTarget): the processing blocks, each
// neural network in both model types, and the anomaly blocks. Its
// WriteTable method prints them for people.
func (m *Model) Estimate(target string) (*device.DeviceSummary, error) {
	t, err := device.LookupTarget(target)
	if err != nil {
		return nil, err
	}
	if !t.HasPerformance {
		return nil, fmt.Errorf("impulse: %s (%s) has no performance model for estimates", t.Name, t.ID)
	}
	cfg := device.ProfileConfig{Target: t.ID}
	sum := &device.DeviceSummary{Target: t}
	for _, b := range m.im.def.Impulse.DSPBlocks {
		p, err := device.ProfileDSP(b.Name, m.im.shapes[b.ID].proto.Cost(), cfg)
		if err != nil {
			return nil, fmt.Errorf("impulse: DSP block %d: %w", b.ID, err)
		}
		sum.DSP = append(sum.DSP, p)
	}
	for _, k := range m.keras {
		// The selected model type first: the summary's totals use it.
		graphs := []*learn.Graph{k.int8.Graph(), k.float.Graph()}
		if k.variant == Float32 {
			graphs[0], graphs[1] = graphs[1], graphs[0]
		}
		for _, g := range graphs {
			n, err := device.FromGraph(g)
			if err != nil {
				return nil, fmt.Errorf("impulse: learn block %d: %w", k.block.ID, err)
			}
			p, err := device.ProfileNetwork(n, cfg)
			if err != nil {
				return nil, fmt.Errorf("impulse: learn block %d (%s): %w", k.block.ID, n.DType, err)
			}
			sum.NN = append(sum.NN, p)
		}
	}
	for _, a := range m.anomalies {
		kind, clusters := device.AnomalyKMeans, 0
		if md := a.config.Metadata; md != nil {
			clusters = len(md.Clusters)
		}
		if a.block.Type == studio.LearnAnomalyGMM {
			kind = device.AnomalyGMM
			if g := a.config.GMMMetadata; g != nil {
				clusters = len(g.Weights)
			}
		}
		p, err := device.ProfileAnomaly(device.AnomalyBlock{Name: a.block.Name, Kind: kind, Clusters: max(clusters, 1),
			Features: len(a.config.Config.SelectedAxes)}, cfg)
		if err != nil {
			return nil, fmt.Errorf("impulse: anomaly block %d: %w", a.block.ID, err)
		}
		sum.Anomaly = append(sum.Anomaly, p)
	}
	return sum, nil
}
