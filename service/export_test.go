package service

import (
	"context"

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
