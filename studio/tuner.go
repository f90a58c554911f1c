package studio

import "github.com/tinyimpulse/tinyimpulse/metrics"

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
	MaxTotalTrainingTime int `json:"maxTotalTrainingTime,omitempty"`
	// Space is the search space, in the EON Tuner's custom search space
	// form (package tune's Space).
	Space             any                `json:"space,omitempty"`
	SearchSpaceSource *SearchSpaceSource `json:"searchSpaceSource,omitempty"`
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
