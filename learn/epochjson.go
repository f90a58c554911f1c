package learn

import (
	"encoding/json"
	"math"
	"time"
)

// epochJSON is EpochStats in JSON, with Keras' metric names; undefined
// metrics (NaN) are left out.
type epochJSON struct {
	Epoch       int      `json:"epoch"`
	Epochs      int      `json:"epochs"`
	Steps       int      `json:"steps"`
	Loss        *float64 `json:"loss,omitempty"`
	Accuracy    *float64 `json:"accuracy,omitempty"`
	ValLoss     *float64 `json:"val_loss,omitempty"`
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
	ElapsedMs   float64  `json:"elapsedMs,omitempty"`
}

func finite(v float64) *float64 {
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

// MarshalJSON writes the epoch with Keras' metric names (loss, accuracy,
// val_loss, val_accuracy), leaving out the metrics that are undefined
// (NaN), and the epoch's duration in milliseconds.
func (s EpochStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochJSON{Epoch: s.Epoch, Epochs: s.Epochs, Steps: s.Steps, Loss: finite(s.Loss),
		Accuracy: finite(s.Accuracy), ValLoss: finite(s.ValLoss), ValAccuracy: finite(s.ValAccuracy),
		ElapsedMs: float64(s.Elapsed) / float64(time.Millisecond)})
}

// UnmarshalJSON reads what MarshalJSON writes; absent metrics become NaN.
func (s *EpochStats) UnmarshalJSON(b []byte) error {
	var j epochJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = EpochStats{Epoch: j.Epoch, Epochs: j.Epochs, Steps: j.Steps, Loss: orNaN(j.Loss), Accuracy: orNaN(j.Accuracy),
		ValLoss: orNaN(j.ValLoss), ValAccuracy: orNaN(j.ValAccuracy), Elapsed: time.Duration(j.ElapsedMs * float64(time.Millisecond))}
	return nil
}
