package service

import (
	"context"
	"time"

	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// CurrentModel is the project's current trained model, as the workers
// load it: tests rebuild a download from it with the library.
func (s *Server) CurrentModel(pid int) (*impulse.Model, error) {
	return s.model(context.Background(), pid, 0)
}

// ModelOf is the model a training job of a project made.
func (s *Server) ModelOf(pid, jobID int) (*impulse.Model, error) {
	return s.model(context.Background(), pid, jobID)
}

// SetEpochPause holds every training of this process for d after each
// epoch (see epochPause).
func SetEpochPause(d time.Duration) { epochPause = d }
