package service

// Every call the service makes into the library is in this file, so that it
// follows the library's API in one place.

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/report"
	"github.com/tinyimpulse/tinyimpulse/studio"
	"github.com/tinyimpulse/tinyimpulse/tflite"
	"github.com/tinyimpulse/tinyimpulse/tune"
)

// Sample categories of the ingestion routes.
const (
	categoryTraining = dataset.CategoryTraining
	categoryTesting  = dataset.CategoryTesting
)

// libraryErrDataset and libraryErrFormat are the library's sentinels for
// data a job cannot use and malformed files: both are the client's fault.
var (
	libraryErrDataset = impulse.ErrDataset
	libraryErrFormat  = dataset.ErrFormat
)

// definitionDoc is an impulse definition as the library reads it: a
// CreateImpulseRequest, each DSP block's DSPConfigRequest config and each
// learn block's SetKerasParameterRequest or StartTrainingRequestAnomaly.
type definitionDoc struct {
	Impulse json.RawMessage            `json:"impulse"`
	DSP     map[string]json.RawMessage `json:"dsp,omitempty"`
	Learn   map[string]json.RawMessage `json:"learn,omitempty"`
}

// parseDefinition parses and validates a definition.
func parseDefinition(doc definitionDoc) (*impulse.Definition, error) {
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return impulse.ParseDefinition(data)
}

// impulseJSON returns the impulse of a definition with Studio's defaults
// filled in (an Impulse).
func impulseJSON(def *impulse.Definition) ([]byte, error) {
	return json.Marshal(def.Impulse)
}

// learnBlockType returns the type of a learn block of def ("" if none).
func learnBlockType(def *impulse.Definition, id int) string {
	for _, b := range def.Impulse.LearnBlocks {
		if b.ID == id {
			return b.Type
		}
	}
	return ""
}

// dspBlockExists reports whether def has a DSP block of that id.
func dspBlockExists(def *impulse.Definition, id int) bool {
	for _, b := range def.Impulse.DSPBlocks {
		if b.ID == id {
			return true
		}
	}
	return false
}

// learnParamsJSON returns a learn block's parameters as the definition
// holds them (SetKerasParameterRequest or StartTrainingRequestAnomaly).
func learnParamsJSON(def *impulse.Definition, id int) ([]byte, error) {
	p, ok := def.Learn[id]
	if !ok {
		return []byte("{}"), nil
	}
	return json.Marshal(p)
}

// decodedSample is an uploaded sample decoded by the library.
type decodedSample = dataset.Sample

// decodeSample parses one uploaded file; the format follows from the
// extension of name.
func decodeSample(name string, data []byte) (*decodedSample, error) {
	return dataset.DecodeSample(name, data)
}

// sampleInfo summarises a decoded sample for the sample row.
func sampleInfo(s *decodedSample) (lengthMs float64, frequencyHz float64, axes []string, isImage bool) {
	if s.Image != nil {
		return 0, 0, nil, true
	}
	for _, sn := range s.Sensors {
		axes = append(axes, sn.Name)
	}
	return float64(s.Len()) * s.IntervalMs, s.FrequencyHz(), axes, false
}

// labelFromFileName is the label Edge Impulse infers from a file name.
func labelFromFileName(name string) string { return dataset.LabelFromFileName(name) }

// datasetOf builds a dataset from decoded samples (their ID, Category and
// Label set by the caller).
func datasetOf(samples []*decodedSample) *dataset.Dataset {
	return &dataset.Dataset{Dir: "project", Samples: samples}
}

// trained is what a training job keeps: the model in its one-file (zip)
// form and Studio's impulses-detailed response.
type trained struct {
	Archive  []byte
	Detailed []byte
	Labels   []string
}

// epochPause, when positive, holds training for that long after every
// epoch's log line: set by tests (SetEpochPause) that must kill a process
// while it trains, whatever the machine's speed.
var epochPause time.Duration

// train runs the library's training job; log receives each chunk of the
// job's log text.
func train(ctx context.Context, doc definitionDoc, samples []*decodedSample, seed uint64, jobID int, workers int, log func(string)) (*trained, error) {
	def, err := parseDefinition(doc)
	if err != nil {
		return nil, err
	}
	ds := datasetOf(samples)
	im, err := impulse.Compile(def, ds)
	if err != nil {
		return nil, err
	}
	m, err := impulse.Train(ctx, im, ds, impulse.TrainOptions{
		Seed:    seed,
		JobID:   jobID,
		Workers: workers,
		Events: func(e studio.Event) {
			if e.Type == studio.EventData {
				log(e.Data)
				if epochPause > 0 && strings.HasPrefix(e.Data, "Epoch ") {
					time.Sleep(epochPause)
				}
			}
		},
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	archive, err := archiveModel(m)
	if err != nil {
		return nil, err
	}
	detailed, err := json.Marshal(m.Detailed())
	if err != nil {
		return nil, err
	}
	return &trained{Archive: archive, Detailed: detailed, Labels: m.Labels()}, nil
}

// model is a trained model loaded for classification.
type model = impulse.Model

// archiveModel returns the model's one-file form (Model.WriteTo).
func archiveModel(m *impulse.Model) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// errArchive reports a model archive that cannot be read.
var errArchive = errors.New("invalid model archive")

// loadModel reads a model archive.
func loadModel(archive []byte) (*impulse.Model, error) {
	m, err := impulse.ReadModel(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errArchive, err)
	}
	return m, nil
}

// testModel runs Studio's model testing on samples and returns its
// ClassifyJobResponse; log receives the job's log text.
func testModel(ctx context.Context, m *impulse.Model, samples []*decodedSample, workers int) ([]byte, string, error) {
	rep, err := m.Test(ctx, samples, impulse.TestOptions{Workers: workers})
	if err != nil {
		return nil, "", err
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		return nil, "", err
	}
	data, err := json.Marshal(rep.Response())
	return data, table.String(), err
}

// windowResult is the result of one classified window.
type windowResult = impulse.WindowResult

// classifySample classifies every window of a sample (continuous
// classification over a long buffer: windows cut with the impulse's
// classification stride).
func classifySample(m *impulse.Model, s *decodedSample) ([]windowResult, error) {
	c, err := m.NewClassifier()
	if err != nil {
		return nil, err
	}
	return c.ClassifySample(s, impulse.ClassificationWindows)
}

// timeSeriesSample builds a sample from values interleaved by time step.
func timeSeriesSample(name string, intervalMs float64, axes []string, values []float64) *decodedSample {
	s := &dataset.Sample{ID: 1, Name: name, Path: name, IntervalMs: intervalMs, Values: values}
	for _, a := range axes {
		s.Sensors = append(s.Sensors, dataset.Sensor{Name: a})
	}
	return s
}

// modelAxes returns the axes and frequency of a model's time-series input.
func modelInput(m *impulse.Model) (axes []string, frequencyHz float64, windowMs int) {
	def := m.Definition()
	for _, in := range def.Impulse.InputBlocks {
		if in.Type == studio.InputTimeSeries {
			frequencyHz, windowMs, axes = in.FrequencyHz, in.WindowSizeMs, in.Axes
		}
	}
	if len(axes) == 0 {
		for _, d := range def.Impulse.DSPBlocks {
			axes = append(axes, d.Axes...)
		}
	}
	return axes, frequencyHz, windowMs
}

// defType is a parsed impulse definition.
type defType = impulse.Definition

// resolveCheck completes def from the shape of the project's training
// samples, as training will, without reading the samples: what the
// library refuses then (an FFT length for the data's frequency, a window
// longer than allowed, …) is refused before a job starts. Image samples
// are not checked here (their size needs the file).
func resolveCheck(def *impulse.Definition, rows []sampleRow) error {
	ds := &dataset.Dataset{Dir: "project"}
	for _, r := range rows {
		if r.Category != categoryTraining || r.Image || r.FrequencyHz <= 0 || len(r.Axes) == 0 {
			continue
		}
		s := &dataset.Sample{ID: len(ds.Samples) + 1, Name: r.Name, Path: r.FileName, Category: r.Category, Label: r.Label,
			IntervalMs: 1000 / r.FrequencyHz, Values: make([]float64, len(r.Axes))}
		for _, a := range r.Axes {
			s.Sensors = append(s.Sensors, dataset.Sensor{Name: a})
		}
		ds.Samples = append(ds.Samples, s)
	}
	if len(ds.Samples) == 0 {
		return nil
	}
	_, err := impulse.Compile(def, ds)
	return err
}

// Parts of a decoded sample.
type (
	sensor      = dataset.Sensor
	labelRange  = dataset.LabelRange
	boundingBox = dataset.BoundingBox
)

// localTrials runs tuner trials in this process (tune.LocalRunner): it
// keeps the features of the latest processing-block configurations.
type localTrials = tune.LocalRunner

// newLocalTrials returns a runner of trials on the training samples of
// samples.
func newLocalTrials(samples []*decodedSample) *localTrials {
	return tune.NewLocalRunner(datasetOf(samples))
}

// runTrial runs a trial (a tune.Trial as JSON) and returns its outcome
// (a tune.Outcome, see encodeOutcome) and a line for the job's log.
func runTrial(ctx context.Context, r *localTrials, trial []byte) (*tune.Outcome, string, error) {
	var t tune.Trial
	if err := json.Unmarshal(trial, &t); err != nil {
		return nil, "", fmt.Errorf("the trial: %w", err)
	}
	out, err := r.Run(ctx, t, nil)
	if err != nil {
		return nil, "", err
	}
	line := fmt.Sprintf("Trial %d %s in %.1f s", t.ID, out.Status, out.Seconds)
	switch {
	case out.Status == tune.StatusCompleted:
		line += fmt.Sprintf(": validation accuracy %.4f int8, %.4f float32 (%d windows)", out.Int8.Accuracy, out.Float32.Accuracy, out.Int8.Windows)
	case out.Error != "":
		line += ": " + out.Error
	}
	return out, line + "\n", nil
}

// encodeOutcome stores a trial's outcome in a job row: as JSON, which
// gives back every field as it was, or, when it holds a number JSON
// cannot carry (NaN or ±Inf: a diverged training's loss), with
// encoding/gob, which gives back every number (but empty slices as nil).
func encodeOutcome(out *tune.Outcome, j *jobRow) error {
	data, err := json.Marshal(out)
	if err == nil {
		j.TrialOutcome, j.TrialOutcomeGob = data, nil
		return nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(out); err != nil {
		return err
	}
	j.TrialOutcome, j.TrialOutcomeGob = nil, buf.Bytes()
	return nil
}

// decodeOutcome reads a trial's outcome stored by encodeOutcome.
func decodeOutcome(j *jobRow) (*tune.Outcome, error) {
	var out tune.Outcome
	var err error
	if len(j.TrialOutcome) > 0 {
		err = json.Unmarshal(j.TrialOutcome, &out)
	} else {
		err = gob.NewDecoder(bytes.NewReader(j.TrialOutcomeGob)).Decode(&out)
	}
	if err != nil {
		return nil, fmt.Errorf("the outcome of trial job %d: %w", j.ID, err)
	}
	return &out, nil
}

// checkModelType refuses a model type the library does not know ("" is
// each learn block's own).
func checkModelType(t string) error {
	_, err := impulse.ParseModelType(t)
	return err
}

// firstNetwork returns the id of the first neural network learn block of
// def (0 if none): the one a deployment's .tflite file holds.
func firstNetwork(def *impulse.Definition) int {
	for _, b := range def.Impulse.LearnBlocks {
		if b.Type == studio.LearnKeras || b.Type == studio.LearnKerasRegression {
			return b.ID
		}
	}
	return 0
}

// modelTypeOf returns the model type t names ("" for the one learn
// block learnID selects; none when learnID is 0).
func modelTypeOf(m *impulse.Model, learnID int, t string) (impulse.ModelType, error) {
	mt, err := impulse.ParseModelType(t)
	if err != nil || mt != 0 || learnID == 0 {
		return mt, err
	}
	return m.ModelType(learnID)
}

// cLibrary writes the C library of a model (deploy.WriteZip) with the
// networks of model type t ("" each learn block's own) and returns it with
// the model type it holds ("" for an impulse without a network).
func cLibrary(m *impulse.Model, t string) ([]byte, string, error) {
	mt, err := modelTypeOf(m, firstNetwork(m.Definition()), t)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	if err := deploy.WriteZip(&buf, m, deploy.LibraryOptions{ModelType: mt}); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mt.String(), nil
}

// tfliteFile writes the network of learn block learnID (0: the first) as a
// .tflite file (tflite.Export) of model type t ("" the block's own) and
// returns it with the model type it holds.
func tfliteFile(m *impulse.Model, learnID int, t string) ([]byte, string, error) {
	if learnID == 0 {
		if learnID = firstNetwork(m.Definition()); learnID == 0 {
			return nil, "", errorf(http.StatusBadRequest, "the impulse has no neural network learn block: there is no .tflite file to build")
		}
	}
	n, q, err := m.Networks(learnID)
	if err != nil {
		return nil, "", err
	}
	mt, err := modelTypeOf(m, learnID, t)
	if err != nil {
		return nil, "", err
	}
	if mt == impulse.Int8 && q == nil {
		return nil, "", fmt.Errorf("learn block %d has no int8 network", learnID)
	}
	var buf bytes.Buffer
	if err := tflite.Export(&buf, n, q, tflite.Variant(mt.String())); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mt.String(), nil
}

// reportPage writes the HTML report of a model (report.Generate and
// report.Write) on the samples it was trained on (training and testing,
// their IDs set by the caller).
func reportPage(ctx context.Context, m *impulse.Model, samples []*decodedSample, workers int) ([]byte, error) {
	d, err := report.Generate(ctx, m, datasetOf(samples), report.Options{Workers: workers})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
