package studio

import (
	"encoding/json"

	"github.com/tinyimpulse/tinyimpulse/learn"
)

// Event types, as Studio's socket events name them.
const (
	EventData     = "job-data"
	EventFinished = "job-finished"
)

// Phases of a training job (Progress.Phase).
const (
	PhaseStarting   = "starting"
	PhaseFeatures   = "features"
	PhaseTraining   = "training"
	PhaseQuantizing = "quantizing"
	PhaseProfiling  = "profiling"
	PhaseAnomaly    = "anomaly"
	PhaseDone       = "done"
)

// Event is one progress event of a job, shaped like Studio's socket events:
// a chunk of the job's log (EventData) or its end (EventFinished), with the
// job's structured progress beside the log text, so that nothing has to
// parse log lines. Its JSON form is what the command prints with
// --json-progress:
//
//	{"event":"job-data","jobId":1,"data":"Epoch 3/30\n…","progress":{"phase":"training","learnBlockId":4,"fraction":0.12,"epoch":{"epoch":3,…}}}
//	{"event":"job-finished","jobId":1,"success":true}
type Event struct {
	Type  string
	JobID int
	// Data holds log text ending in a newline (EventData).
	Data string
	// Success reports whether the job succeeded (EventFinished).
	Success bool
	// Progress is the job's state when the event was sent (nil when the job
	// reports none).
	Progress *Progress
}

// Progress is the structured state of a training job.
type Progress struct {
	// Phase is one of the Phase… constants.
	Phase string `json:"phase"`
	// LearnBlockID is the learn block being trained, 0 outside one.
	LearnBlockID int `json:"learnBlockId,omitempty"`
	// Fraction is the share of the job done, from 0 to 1: feature
	// generation, each epoch of each network, its quantisation and
	// profiling, and each anomaly block count as steps.
	Fraction float64 `json:"fraction"`
	// Epoch is the epoch a network just finished (its loss, accuracy,
	// val_loss, val_accuracy), nil in other events.
	Epoch *learn.EpochStats `json:"epoch,omitempty"`
}

// MarshalJSON writes the event in the --json-progress form.
func (e Event) MarshalJSON() ([]byte, error) {
	if e.Type == EventFinished {
		return json.Marshal(struct {
			Event   string `json:"event"`
			JobID   int    `json:"jobId"`
			Success bool   `json:"success"`
		}{e.Type, e.JobID, e.Success})
	}
	return json.Marshal(struct {
		Event    string    `json:"event"`
		JobID    int       `json:"jobId"`
		Data     string    `json:"data"`
		Progress *Progress `json:"progress,omitempty"`
	}{e.Type, e.JobID, e.Data, e.Progress})
}
