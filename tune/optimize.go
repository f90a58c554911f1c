package tune

import (
	"fmt"
	"strconv"

	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// OptimizeState returns the search as Studio's OptimizeStateResponse.
func (r *Result) OptimizeState() studio.OptimizeStateResponse {
	opt := r.Options
	tgt, _ := device.LookupTarget(opt.Target)
	st := studio.OptimizeStateResponse{
		Success: true,
		Config: studio.OptimizeConfig{
			Name:                  "tinyimpulse tune",
			TargetLatency:         opt.Budget.LatencyMs,
			TargetDevice:          studio.OptimizeTargetDevice{Name: tgt.ID, RAM: opt.Budget.RAMBytes, ROM: opt.Budget.ROMBytes},
			TuningMaxTrials:       opt.Trials,
			TuningWorkers:         opt.Workers,
			InitialTrials:         opt.RandomTrials,
			TuningAlgorithm:       "bayesian",
			OptimizationPrecision: opt.ModelType.String(),
			EarlyStopping:         !opt.DisableEarlyStopping,
			MaxTotalTrainingTime:  int(opt.Time.Seconds()),
			Space:                 r.Space,
			SearchSpaceSource:     &studio.SearchSpaceSource{Type: "template", TemplateTitle: string(r.Kind)},
		},
		TuningAlgorithm:           "bayesian",
		ProjectDataType:           string(r.Kind),
		NextRunIndex:              1,
		CanExtendSearch:           !r.Exhausted,
		TotalTrainingTimeExceeded: opt.Time > 0 && r.Elapsed >= opt.Time*9/10,
		Trials:                    []studio.TunerTrial{},
	}
	if opt.Start != nil {
		st.Config.SearchSpaceSource = &studio.SearchSpaceSource{Type: "impulse"}
	}
	if r.customSpace {
		st.Config.SearchSpaceSource = &studio.SearchSpaceSource{Type: "custom"}
	}
	if st.ProjectDataType == string(KindMotion) || st.ProjectDataType == "" {
		st.ProjectDataType = "motion"
	}
	for w := range opt.Workers {
		st.Workers = append(st.Workers, studio.OptimizeWorker{WorkerID: strconv.Itoa(w), Status: "ready"})
	}
	st.Status.NumReadyWorkers = opt.Workers
	st.Status.Status = "completed"
	picks := map[int]*Pick{}
	for _, p := range r.Picks {
		picks[p.ID] = p
	}
	for _, t := range r.Trials {
		tt := r.tunerTrial(t, tgt, picks[t.ID])
		switch tt.Status {
		case "completed":
			st.Status.NumCompletedTrials++
		default:
			st.Status.NumFailedTrials++
		}
		st.Trials = append(st.Trials, tt)
	}
	return st
}

func (r *Result) tunerTrial(t *TrialResult, tgt device.Target, p *Pick) studio.TunerTrial {
	tt := studio.TunerTrial{ID: strconv.Itoa(t.ID), Name: fmt.Sprintf("trial %d", t.ID), WorkerID: strconv.Itoa(t.Worker), CurrentEpoch: t.Epochs}
	switch t.Status {
	case StatusCompleted, StatusStopped:
		tt.Status = "completed"
	default:
		tt.Status = "failed"
	}
	blockStatus := tt.Status
	def := t.Definition
	if def != nil {
		for i, b := range def.Impulse.InputBlocks {
			tt.Blocks = append(tt.Blocks, studio.TunerTrialBlock{ID: b.ID, Status: blockStatus, Type: "input", ModelBlockIndex: i})
			tt.Impulse.InputBlocks = append(tt.Impulse.InputBlocks, b)
		}
		for i, b := range def.Impulse.DSPBlocks {
			tt.Blocks = append(tt.Blocks, studio.TunerTrialBlock{ID: b.ID, Status: blockStatus, Type: "dsp", ModelBlockIndex: i})
			m := map[string]any{"id": b.ID, "type": b.Type, "implementationVersion": b.ImplementationVersion}
			for k, v := range def.DSP[b.ID] {
				m[k] = v
			}
			tt.Impulse.DSPBlocks = append(tt.Impulse.DSPBlocks, m)
		}
		for i, b := range def.Impulse.LearnBlocks {
			tt.Blocks = append(tt.Blocks, studio.TunerTrialBlock{ID: b.ID, Status: blockStatus, Type: "learn", ModelBlockIndex: i})
			m := map[string]any{"id": b.ID, "type": b.Type}
			if k := def.Learn[b.ID]; k != nil && k.Keras != nil {
				m["visualLayers"] = k.Keras.VisualLayers
				m["trainingCycles"] = k.Keras.TrainingCycles
				m["learningRate"] = k.Keras.LearningRate
				m["batchSize"] = k.Keras.BatchSize
				if a := k.Keras.AugmentationPolicyMotion; a != nil {
					m["augmentationPolicyMotion"] = a
				}
				if a := k.Keras.AugmentationPolicyImage; a != "" {
					m["augmentationPolicyImage"] = a
				}
				if a := k.Keras.AugmentationPolicySpectrogram; a != nil {
					m["augmentationPolicySpectrogram"] = a
				}
			}
			tt.Impulse.LearnBlocks = append(tt.Impulse.LearnBlocks, m)
		}
	}
	if tt.Blocks == nil {
		tt.Blocks = []studio.TunerTrialBlock{}
	}
	tt.Impulse.InputBlocks = nonNilAny(tt.Impulse.InputBlocks)
	tt.Impulse.DSPBlocks = nonNilAny(tt.Impulse.DSPBlocks)
	tt.Impulse.LearnBlocks = nonNilAny(tt.Impulse.LearnBlocks)
	e := t.Estimate
	tt.DevicePerformance = map[string]any{tgt.ID: map[string]any{
		"latencyMs": e.LatencyMs, "ram": e.RAM, "rom": e.ROM,
		"dspLatencyMs": e.DSPLatencyMs, "dspRam": e.DSPRAM, "dspRom": e.DSPROM,
		"nnLatencyMs": e.NNLatencyMs, "nnRam": e.NNRAM, "nnRom": e.NNROM, "macs": e.MACs,
	}}
	if l := t.Last; l != nil {
		tt.Progress = &studio.TunerProgress{Epoch: l.Epoch, Loss: finite(l.Loss), ValLoss: finite(l.ValLoss), Accuracy: finite(l.Accuracy), ValAccuracy: finite(l.ValAccuracy)}
	}
	if t.Status == StatusCompleted && len(t.Metrics) == 2 {
		perf := []device.DevicePerformance{e.Performance}
		v := &studio.VariantMetrics{}
		for i, m := range t.Metrics {
			m := m
			if (i == 0) == (r.Options.ModelType != impulse.Float32) {
				m.SetPerformance(perf)
			}
			if i == 0 {
				v.Int8 = &m
			} else {
				v.Float32 = &m
			}
		}
		tt.Metrics = &studio.TunerTrialMetrics{Validation: v}
		if p != nil && p.Report != nil && p.Report.Classification != nil {
			m := p.Report.Classification.ModelMetrics(r.Options.ModelType.String())
			m.SetPerformance(perf)
			vm := &studio.VariantMetrics{}
			if r.Options.ModelType == impulse.Float32 {
				vm.Float32 = &m
			} else {
				vm.Int8 = &m
			}
			tt.Metrics.Test = vm
		}
	}
	return tt
}

func nonNilAny(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

// finite replaces NaN (a figure that does not apply) by 0.
func finite(v float64) float64 {
	if v != v {
		return 0
	}
	return v
}
