package impulse

import (
	"fmt"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// Networks returns the trained networks of a neural network learn block:
// the float32 network and the int8 network the block evaluates and
// classifies with as "int8" (nil when the block has none). Both are
// immutable and shared with m; package tflite exports either as a .tflite
// file.
func (m *Model) Networks(learnID int) (*learn.Network, *learn.Int8Network, error) {
	k, err := m.kerasBlock(learnID)
	if err != nil {
		return nil, nil, err
	}
	if k.float == nil {
		return nil, nil, fmt.Errorf("impulse: learn block %d has no trained network", learnID)
	}
	return k.float, k.int8, nil
}

// Anomaly returns the fitted model of an anomaly learn block (K-means or
// GMM), immutable and shared with m; its Threshold is the block's.
func (m *Model) Anomaly(learnID int) (anomaly.Model, error) {
	for _, a := range m.anomalies {
		if a.block.ID == learnID {
			return a.model, nil
		}
	}
	return nil, fmt.Errorf("impulse: no trained anomaly learn block with id %d", learnID)
}

// Threshold returns a neural network learn block's threshold: the minimum
// confidence below which a classifier's window is uncertain, or a
// regression's largest acceptable absolute error.
func (m *Model) Threshold(learnID int) (float64, error) {
	k, err := m.kerasBlock(learnID)
	if err != nil {
		return 0, err
	}
	return k.threshold, nil
}

// ModelType returns the model type a neural network learn block classifies
// with (its selected type, or the one WithModelType set).
func (m *Model) ModelType(learnID int) (ModelType, error) {
	k, err := m.kerasBlock(learnID)
	if err != nil {
		return 0, err
	}
	return k.variant, nil
}
