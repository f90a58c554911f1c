package impulse

import (
	"fmt"
	"strings"
	"sync"

	"github.com/tinyimpulse/tinyimpulse/studio"
)

// jobLog sends a job's log lines as events. It is safe for concurrent use.
type jobLog struct {
	mu     sync.Mutex
	jobID  int
	events func(studio.Event)
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
	l.events(studio.Event{Type: studio.EventData, JobID: l.jobID, Data: s})
}

func (l *jobLog) finish(success bool) {
	if l == nil || l.events == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events(studio.Event{Type: studio.EventFinished, JobID: l.jobID, Success: success})
}
