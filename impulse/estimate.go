package impulse

import (
	"errors"
	"fmt"
	"slices"

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
	if err := m.estimateCLibrary(sum, cfg); err != nil {
		return nil, err
	}
	return sum, nil
}

// estimateCLibrary adds the impulse as tinyimpulse's generated C library
// (package deploy runs the first neural network and the first anomaly
// block; impulses with more have no C library estimate).
func (m *Model) estimateCLibrary(sum *device.DeviceSummary, cfg device.ProfileConfig) error {
	if len(m.keras) > 1 || len(m.anomalies) > 1 {
		return nil
	}
	blocks := m.im.def.Impulse.DSPBlocks
	// ranges counts the separate ranges of the concatenated processing
	// blocks' features a learn block reads.
	ranges := func(ids []int) int {
		n, next := 0, -1
		for _, id := range ids {
			i := slices.IndexFunc(blocks, func(b studio.DSPBlock) bool { return b.ID == id })
			if i != next {
				n++
			}
			next = i + 1
		}
		return n
	}
	var lib device.CLibrary
	for _, b := range blocks {
		lib.DSP = append(lib.DSP, device.CDSPBlock{Name: b.Name, Block: m.im.shapes[b.ID].proto})
	}
	if len(m.anomalies) == 1 {
		a := m.anomalies[0]
		ab := sum.Anomaly[0]
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
		lib.Anomaly = &device.AnomalyBlock{Name: ab.Name, Kind: kind, Clusters: max(clusters, 1), Features: len(a.config.Config.SelectedAxes)}
		lib.AnomalyFeatures, lib.AnomalyRanges = m.im.NumFeatures(a.block.ID), ranges(a.block.DSP)
	}
	var graphs []*learn.Graph
	if len(m.keras) == 1 {
		k := m.keras[0]
		graphs = []*learn.Graph{k.int8.Graph(), k.float.Graph()}
		if k.variant == Float32 {
			graphs[0], graphs[1] = graphs[1], graphs[0]
		}
		lib.NetworkRanges = ranges(k.block.DSP)
	} else {
		graphs = []*learn.Graph{nil}
	}
	for _, g := range graphs {
		l := lib
		if g != nil {
			n, err := device.FromGraph(g)
			if err != nil {
				return fmt.Errorf("impulse: learn block %d: %w", m.keras[0].block.ID, err)
			}
			l.Network = n
		}
		p, err := device.ProfileCLibrary(l, cfg)
		if errors.Is(err, device.ErrUndefined) || errors.Is(err, device.ErrNetwork) {
			return nil // a block the C library has no code or measurements for
		}
		if err != nil {
			return fmt.Errorf("impulse: C library estimate: %w", err)
		}
		sum.CLibrary = append(sum.CLibrary, p)
	}
	return nil
}
