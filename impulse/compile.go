package impulse

import (
	"encoding/json"
	"fmt"

	"github.com/tinyimpulse/tinyimpulse/dataset"
)

// Impulse is a compiled impulse definition: the definition completed with
// every Studio default and the settings derived from the data, and its
// processing blocks built for the window shape. It is immutable, so its
// methods may be called from any number of goroutines, and it holds
// everything feature generation, training and classification need.
type Impulse struct {
	def    Definition
	shapes map[int]*dspShape
}

// Compile completes def against a dataset, as Studio does when an impulse
// is created, and returns the compiled impulse. def is validated exactly as
// ParseDefinition validates its JSON form, so a definition written as a Go
// literal gets the same checks and Studio defaults (zero values meaning
// "unset"); then the settings Studio derives from the data are filled in (a
// time-series input block without frequencyHz gets the most common sampling
// frequency of the training samples, all samples when there are none; one
// without axes the axes of the first such sample; DSP blocks without axes
// the input block's axes), the definition is checked against the data —
// every sample must be of the input block's kind and have its axes —,
// every block is built for the window shape and the learn blocks get their
// defaults for their inputs.
//
// ds may be nil when the definition already names its frequency and axes
// (a definition saved with a trained model does). Compile does not modify
// def. Every problem is reported in one *DefinitionError, whose File is
// def.File.
func Compile(def *Definition, ds *dataset.Dataset) (*Impulse, error) {
	data, err := json.Marshal(def)
	if err != nil {
		return nil, fmt.Errorf("impulse: definition: %w", err)
	}
	w := new(walker)
	d, err := decode(w, data)
	if err != nil {
		return nil, err
	}
	if len(w.problems) == 0 {
		switch {
		case ds != nil:
			d.resolve(w, ds)
		case !d.ready():
			w.add("impulse.inputBlocks[0]", "the input block's frequencyHz or axes are not set and no dataset was given to derive them from")
		}
	}
	if len(w.problems) > 0 {
		return nil, w.err(def.File)
	}
	d.File = def.File
	im := &Impulse{def: *d}
	im.build(w)
	if err := w.err(def.File); err != nil {
		return nil, err
	}
	return im, nil
}

// Definition returns a copy of the completed definition: def with every
// default and every setting derived from the data filled in. Compiling it
// again, without a dataset, gives the same impulse.
func (im *Impulse) Definition() *Definition {
	data, err := json.Marshal(&im.def)
	if err != nil {
		panic("impulse: a compiled definition does not marshal: " + err.Error())
	}
	d := new(Definition)
	w := new(walker)
	nd, err := decode(w, data)
	if err != nil || len(w.problems) > 0 {
		panic(fmt.Sprintf("impulse: a compiled definition does not parse: %v %v", err, w.problems))
	}
	*d = *nd
	d.File = im.def.File
	return d
}
