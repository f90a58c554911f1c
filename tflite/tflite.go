package tflite

import (
	"fmt"
	"io"

	"github.com/tinyimpulse/tinyimpulse/internal/tflitefmt"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// ErrGraph is wrapped by the errors of [Marshal], [Write] and [Export] for a
// graph that cannot be written as a TensorFlow Lite model.
var ErrGraph = tflitefmt.ErrGraph

// Marshal encodes g as a .tflite file (see the package documentation for
// what the file holds). Graphs from [learn.Network.Graph] and
// [learn.Int8Network.Graph] always encode; a graph built or changed by hand
// is checked first (tensor indices, shapes, constant data, quantisation,
// operator inputs and options) and an inconsistent one is an error
// wrapping [ErrGraph]. The same graph always gives the same bytes.
func Marshal(g *learn.Graph) ([]byte, error) { return tflitefmt.Marshal(g) }

// Write writes g to w as a .tflite file.
func Write(w io.Writer, g *learn.Graph) error {
	b, err := Marshal(g)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("tflite: writing the model: %w", err)
	}
	return nil
}

// Variant selects which network of a learn block a file holds.
type Variant string

// The variants of a network.
const (
	// Int8 is the full-integer network ([learn.Int8Network]): int8 input
	// and output, the very model the library evaluates as "int8".
	Int8 Variant = "int8"
	// Float32 is the float32 network ([learn.Network]).
	Float32 Variant = "float32"
)

// Export writes the variant v of a trained network to w: q's graph for
// [Int8], n's for [Float32]. The network of the other variant may be nil.
func Export(w io.Writer, n *learn.Network, q *learn.Int8Network, v Variant) error {
	var g *learn.Graph
	switch v {
	case Int8:
		if q == nil {
			return fmt.Errorf("tflite: no int8 network to export")
		}
		g = q.Graph()
	case Float32:
		if n == nil {
			return fmt.Errorf("tflite: no float32 network to export")
		}
		g = n.Graph()
	default:
		return fmt.Errorf("tflite: variant %q: must be int8 or float32", v)
	}
	return Write(w, g)
}
