package impulse

import (
	"fmt"
	"math"

	"github.com/tinyimpulse/tinyimpulse/learn"
)

// This file holds what the report package reads from a trained model that
// the rest of the Model API does not expose: the per-epoch training history
// of each neural network learn block, kept in memory and in the saved model.

// History returns the per-epoch statistics of a neural network learn block's
// training (loss, accuracy, val_loss and val_accuracy of every epoch; NaN
// where a figure does not apply, as in learn.EpochStats). A model saved
// before histories were kept returns an empty history and no error.
func (m *Model) History(learnID int) ([]learn.EpochStats, error) {
	k, err := m.kerasBlock(learnID)
	if err != nil {
		return nil, err
	}
	return append([]learn.EpochStats(nil), k.history...), nil
}

// epochRecord is the saved form of one learn.EpochStats; JSON has no NaN,
// so figures that do not apply are left out, and the epoch's duration is
// not kept, so that the same seed still saves the same bytes.
type epochRecord struct {
	Loss        *float64 `json:"loss,omitempty"`
	Accuracy    *float64 `json:"accuracy,omitempty"`
	ValLoss     *float64 `json:"valLoss,omitempty"`
	ValAccuracy *float64 `json:"valAccuracy,omitempty"`
	Steps       int      `json:"steps"`
}

func finiteOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// historyRecords converts a training history to its saved form.
func historyRecords(h []learn.EpochStats) []epochRecord {
	if len(h) == 0 {
		return nil
	}
	out := make([]epochRecord, len(h))
	for i, s := range h {
		out[i] = epochRecord{Loss: finiteOrNil(s.Loss), Accuracy: finiteOrNil(s.Accuracy), ValLoss: finiteOrNil(s.ValLoss),
			ValAccuracy: finiteOrNil(s.ValAccuracy), Steps: s.Steps}
	}
	return out
}

// historyStats converts a saved history back; epochs are numbered 1… in
// order. It refuses negative step counts.
func historyStats(r []epochRecord) ([]learn.EpochStats, error) {
	if len(r) == 0 {
		return nil, nil
	}
	out := make([]learn.EpochStats, len(r))
	for i, e := range r {
		if e.Steps < 0 {
			return nil, fmt.Errorf("history[%d].steps: %d is negative", i, e.Steps)
		}
		out[i] = learn.EpochStats{Epoch: i + 1, Epochs: len(r), Steps: e.Steps, Loss: orNaN(e.Loss), Accuracy: orNaN(e.Accuracy),
			ValLoss: orNaN(e.ValLoss), ValAccuracy: orNaN(e.ValAccuracy)}
	}
	return out, nil
}
