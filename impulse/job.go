package impulse

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

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

// jobLog sends a job's log lines as events. It is safe for concurrent use.
type jobLog struct {
	mu     sync.Mutex
	jobID  int
	events func(Event)
}

func (l *jobLog) printf(format string, args ...any) {
	if l == nil || l.events == nil {
		return
	}
	s := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events(Event{Type: EventData, JobID: l.jobID, Data: s})
}

func (l *jobLog) finish(success bool) {
	if l == nil || l.events == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events(Event{Type: EventFinished, JobID: l.jobID, Success: success})
}
