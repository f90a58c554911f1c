package tune

import (
	"fmt"
	"strconv"

	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/metrics"
)

// The EON Tuner's API types (Studio's GET /v1/api/{projectId}/optimize/state
// and its parts, npm package edge-impulse-api 1.95.13), with the fields a
// local search fills in.

// OptimizeStateResponse is the state of a search as Studio's EON Tuner
// reports it.
type OptimizeStateResponse struct {
	Success                   bool             `json:"success"`
	Error                     string           `json:"error,omitempty"`
	Config                    OptimizeConfig   `json:"config"`
	Status                    OptimizeStatus   `json:"status"`
	TuningAlgorithm           string           `json:"tuningAlgorithm,omitempty"`
	TunerJobIsRunning         bool             `json:"tunerJobIsRunning"`
	Trials                    []TunerTrial     `json:"trials"`
	ProjectDataType           string           `json:"projectDataType"`
	JobError                  string           `json:"jobError,omitempty"`
	Workers                   []OptimizeWorker `json:"workers"`
	NextRunIndex              int              `json:"nextRunIndex"`
	CanExtendSearch           bool             `json:"canExtendSearch"`
	IsWhitelabel              bool             `json:"isWhitelabel"`
	TotalTrainingTimeExceeded bool             `json:"totalTrainingTimeExceeded"`
}

// OptimizeConfig is the EON Tuner's configuration of a search.
type OptimizeConfig struct {
	Name string `json:"name,omitempty"`
	// TargetLatency is the latency budget in ms (0 for none).
	TargetLatency float64              `json:"targetLatency"`
	TargetDevice  OptimizeTargetDevice `json:"targetDevice"`
	// TrainingCycles is the largest number of epochs of a trial.
	TrainingCycles  int `json:"trainingCycles,omitempty"`
	TuningMaxTrials int `json:"tuningMaxTrials,omitempty"`
	TuningWorkers   int `json:"tuningWorkers,omitempty"`
	InitialTrials   int `json:"initialTrials,omitempty"`
	// TuningAlgorithm is "bayesian" (TPE).
	TuningAlgorithm       string `json:"tuningAlgorithm,omitempty"`
	OptimizationPrecision string `json:"optimizationPrecision,omitempty"`
	EarlyStopping         bool   `json:"earlyStopping"`
	// MaxTotalTrainingTime is the time budget in seconds.
	MaxTotalTrainingTime int                `json:"maxTotalTrainingTime,omitempty"`
	Space                *Space             `json:"space,omitempty"`
	SearchSpaceSource    *SearchSpaceSource `json:"searchSpaceSource,omitempty"`
}

// OptimizeTargetDevice is the target of a search and its memory budget
// (bytes).
type OptimizeTargetDevice struct {
	Name string `json:"name"`
	RAM  int    `json:"ram,omitempty"`
	ROM  int    `json:"rom,omitempty"`
}

// SearchSpaceSource says where the search space came from: "template"
// (generated for the kind of data), "impulse" (with a starting impulse) or
// "custom".
type SearchSpaceSource struct {
	Type          string `json:"type"`
	TemplateTitle string `json:"templateTitle,omitempty"`
}

// OptimizeStatus counts the trials and workers of a search.
type OptimizeStatus struct {
	NumPendingTrials   int    `json:"numPendingTrials"`
	NumRunningTrials   int    `json:"numRunningTrials"`
	NumCompletedTrials int    `json:"numCompletedTrials"`
	NumFailedTrials    int    `json:"numFailedTrials"`
	NumReadyWorkers    int    `json:"numReadyWorkers"`
	NumBusyWorkers     int    `json:"numBusyWorkers"`
	NumPendingWorkers  int    `json:"numPendingWorkers"`
	Status             string `json:"status"`
}

// OptimizeWorker is one worker of a search.
type OptimizeWorker struct {
	WorkerID string `json:"workerId"`
	Status   string `json:"status"`
}

// TunerTrial is one trial as the EON Tuner reports it.
type TunerTrial struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	CurrentEpoch int               `json:"currentEpoch,omitempty"`
	WorkerID     string            `json:"workerId,omitempty"`
	Blocks       []TunerTrialBlock `json:"blocks"`
	Impulse      TunerTrialImpulse `json:"impulse"`
	// DevicePerformance holds the estimate on the target, by target id.
	DevicePerformance map[string]any     `json:"devicePerformance,omitempty"`
	Progress          *TunerProgress     `json:"progress,omitempty"`
	Metrics           *TunerTrialMetrics `json:"metrics,omitempty"`
}

// TunerTrialBlock is one block of a trial.
type TunerTrialBlock struct {
	ID              int    `json:"id"`
	Retries         int    `json:"retries"`
	Status          string `json:"status"`
	Type            string `json:"type"`
	ModelBlockIndex int    `json:"modelBlockIndex"`
}

// TunerTrialImpulse holds a trial's blocks, each with its settings.
type TunerTrialImpulse struct {
	InputBlocks []any `json:"inputBlocks"`
	DSPBlocks   []any `json:"dspBlocks"`
	LearnBlocks []any `json:"learnBlocks"`
}

// TunerProgress is the last epoch of a trial.
type TunerProgress struct {
	Epoch       int     `json:"epoch"`
	Loss        float64 `json:"loss"`
	ValLoss     float64 `json:"val_loss"`
	Accuracy    float64 `json:"accuracy"`
	ValAccuracy float64 `json:"val_accuracy"`
}

// TunerTrialMetrics are a trial's metrics: validation (the held-out
// training samples) and, for the picks, test.
type TunerTrialMetrics struct {
	Test       *VariantMetrics `json:"test,omitempty"`
	Validation *VariantMetrics `json:"validation,omitempty"`
}

// VariantMetrics holds Studio's KerasModelMetadataMetrics per model type.
type VariantMetrics struct {
	Float32 *metrics.ModelMetrics `json:"float32,omitempty"`
	Int8    *metrics.ModelMetrics `json:"int8,omitempty"`
}

// OptimizeState returns the search as Studio's OptimizeStateResponse.
func (r *Result) OptimizeState() OptimizeStateResponse {
	opt := r.Options
	tgt, _ := device.LookupTarget(opt.Target)
	st := OptimizeStateResponse{
		Success: true,
		Config: OptimizeConfig{
			Name:                  "tinyimpulse tune",
			TargetLatency:         opt.Budget.LatencyMs,
			TargetDevice:          OptimizeTargetDevice{Name: tgt.ID, RAM: opt.Budget.RAMBytes, ROM: opt.Budget.ROMBytes},
			TuningMaxTrials:       opt.Trials,
			TuningWorkers:         opt.Workers,
			InitialTrials:         opt.RandomTrials,
			TuningAlgorithm:       "bayesian",
			OptimizationPrecision: opt.ModelType.String(),
			EarlyStopping:         !opt.DisableEarlyStopping,
			MaxTotalTrainingTime:  int(opt.Time.Seconds()),
			Space:                 r.Space,
			SearchSpaceSource:     &SearchSpaceSource{Type: "template", TemplateTitle: string(r.Kind)},
		},
		TuningAlgorithm:           "bayesian",
		ProjectDataType:           string(r.Kind),
		NextRunIndex:              1,
		CanExtendSearch:           !r.Exhausted,
		TotalTrainingTimeExceeded: opt.Time > 0 && r.Elapsed >= opt.Time*9/10,
		Trials:                    []TunerTrial{},
	}
	if opt.Start != nil {
		st.Config.SearchSpaceSource = &SearchSpaceSource{Type: "impulse"}
	}
	if r.customSpace {
		st.Config.SearchSpaceSource = &SearchSpaceSource{Type: "custom"}
	}
	if st.ProjectDataType == string(KindMotion) || st.ProjectDataType == "" {
		st.ProjectDataType = "motion"
	}
	for w := range opt.Workers {
		st.Workers = append(st.Workers, OptimizeWorker{WorkerID: strconv.Itoa(w), Status: "ready"})
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

func (r *Result) tunerTrial(t *TrialResult, tgt device.Target, p *Pick) TunerTrial {
	tt := TunerTrial{ID: strconv.Itoa(t.ID), Name: fmt.Sprintf("trial %d", t.ID), WorkerID: strconv.Itoa(t.Worker), CurrentEpoch: t.Epochs}
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
			tt.Blocks = append(tt.Blocks, TunerTrialBlock{ID: b.ID, Status: blockStatus, Type: "input", ModelBlockIndex: i})
			tt.Impulse.InputBlocks = append(tt.Impulse.InputBlocks, b)
		}
		for i, b := range def.Impulse.DSPBlocks {
			tt.Blocks = append(tt.Blocks, TunerTrialBlock{ID: b.ID, Status: blockStatus, Type: "dsp", ModelBlockIndex: i})
			m := map[string]any{"id": b.ID, "type": b.Type, "implementationVersion": b.ImplementationVersion}
			for k, v := range def.DSP[b.ID] {
				m[k] = v
			}
			tt.Impulse.DSPBlocks = append(tt.Impulse.DSPBlocks, m)
		}
		for i, b := range def.Impulse.LearnBlocks {
			tt.Blocks = append(tt.Blocks, TunerTrialBlock{ID: b.ID, Status: blockStatus, Type: "learn", ModelBlockIndex: i})
			m := map[string]any{"id": b.ID, "type": b.Type}
			if k := def.Learn[b.ID]; k != nil && k.Keras != nil {
				m["visualLayers"] = k.Keras.VisualLayers
				m["trainingCycles"] = k.Keras.TrainingCycles
				m["learningRate"] = k.Keras.LearningRate
				m["batchSize"] = k.Keras.BatchSize
			}
			tt.Impulse.LearnBlocks = append(tt.Impulse.LearnBlocks, m)
		}
	}
	if tt.Blocks == nil {
		tt.Blocks = []TunerTrialBlock{}
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
		tt.Progress = &TunerProgress{Epoch: l.Epoch, Loss: finite(l.Loss), ValLoss: finite(l.ValLoss), Accuracy: finite(l.Accuracy), ValAccuracy: finite(l.ValAccuracy)}
	}
	if t.Status == StatusCompleted && len(t.Metrics) == 2 {
		perf := []device.DevicePerformance{e.Performance}
		v := &VariantMetrics{}
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
		tt.Metrics = &TunerTrialMetrics{Validation: v}
		if p != nil && p.Report != nil && p.Report.Classification != nil {
			m := p.Report.Classification.ModelMetrics(r.Options.ModelType.String())
			m.SetPerformance(perf)
			vm := &VariantMetrics{}
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
