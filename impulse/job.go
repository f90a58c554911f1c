package impulse

import (
	"fmt"
	"strings"
	"sync"

	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// jobLog sends a job's log lines as events, each with the job's structured
// progress. It is safe for concurrent use.
type jobLog struct {
	mu     sync.Mutex
	jobID  int
	events func(studio.Event)
	state  studio.Progress
	steps  float64 // the job's steps, see studio.Progress.Fraction
	done   float64 // steps done
}

// jobSteps counts the steps of training im: feature generation, each epoch
// of each network plus its quantisation and profiling, each anomaly block.
func jobSteps(im *Impulse) float64 {
	n := 1.0
	for _, lb := range im.def.Impulse.LearnBlocks {
		if p := im.def.Learn[lb.ID]; p != nil && p.Keras != nil {
			n += float64(p.Keras.TrainingCycles) + 2
		} else {
			n++
		}
	}
	return n
}

// phase sets the phase and learn block of the following events.
func (l *jobLog) phase(phase string, learnID int) {
	l.mu.Lock()
	l.state.Phase, l.state.LearnBlockID = phase, learnID
	l.mu.Unlock()
}

// step records that n steps are done.
func (l *jobLog) step(n float64) {
	l.mu.Lock()
	l.done += n
	l.mu.Unlock()
}

// epoch sends a network's end-of-epoch report (Keras' two log lines) with
// its figures, and counts the epoch as a step.
func (l *jobLog) epoch(s learn.EpochStats) {
	l.step(1)
	l.send(s.String(), &s)
}

func (l *jobLog) printf(format string, args ...any) { l.send(fmt.Sprintf(format, args...), nil) }

func (l *jobLog) send(s string, epoch *learn.EpochStats) {
	if l == nil || l.events == nil {
		return
	}
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.state
	p.Epoch = epoch
	if l.steps > 0 {
		p.Fraction = min(1, l.done/l.steps)
	}
	l.events(studio.Event{Type: studio.EventData, JobID: l.jobID, Data: s, Progress: &p})
}

func (l *jobLog) finish(success bool) {
	if l == nil || l.events == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events(studio.Event{Type: studio.EventFinished, JobID: l.jobID, Success: success})
}
