package studio

import "encoding/json"

// Event types, as Studio's socket events name them.
const (
	EventData     = "job-data"
	EventFinished = "job-finished"
)

// Event is one progress event of a job, shaped like Studio's socket events:
// a chunk of the job's log (EventData) or its end (EventFinished). Its JSON
// form is what the command prints with --json-progress:
//
//	{"event":"job-data","jobId":1,"data":"Epoch 3/30\n"}
//	{"event":"job-finished","jobId":1,"success":true}
type Event struct {
	Type  string
	JobID int
	// Data holds log text ending in a newline (EventData).
	Data string
	// Success reports whether the job succeeded (EventFinished).
	Success bool
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
		Event string `json:"event"`
		JobID int    `json:"jobId"`
		Data  string `json:"data"`
	}{e.Type, e.JobID, e.Data})
}
