package impulse

import (
	"fmt"

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
