package impulse

import (
	"archive/zip"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/metrics"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Model is a trained impulse: its definition, the trained learn blocks and
// the results of training. It is immutable; NewClassifier gives each
// goroutine what it needs to classify windows.
type Model struct {
	im         *Impulse
	created    time.Time
	seed       uint64
	targets    []string
	dspConfigs []studio.DSPBlockConfig
	keras      []*kerasBlock
	anomalies  []*anomalyBlock
}

// Impulse returns the compiled impulse the model was trained with.
func (m *Model) Impulse() *Impulse { return m.im }

// Definition returns (a copy of) the completed definition the model was
// trained with: every default and the frequency and axes the data gave.
func (m *Model) Definition() *Definition { return m.im.Definition() }

// Created returns the time the model was trained.
func (m *Model) Created() time.Time { return m.created }

// WithModelType returns the model with every neural network learn block
// classifying with the given model type, as the model-type switch of
// Studio's model testing and live classification does; the zero value
// returns m itself. The two models share their networks, which neither
// changes, so both stay usable at once.
func (m *Model) WithModelType(t ModelType) (*Model, error) {
	switch t {
	case 0:
		return m, nil
	case Int8, Float32:
	default:
		return nil, fmt.Errorf("impulse: model type %d: must be Int8 or Float32", t)
	}
	c := *m
	c.keras = make([]*kerasBlock, len(m.keras))
	for i, k := range m.keras {
		if t == Int8 && k.int8 == nil {
			return nil, fmt.Errorf("impulse: learn block %d (%s) has no int8 model", k.block.ID, k.block.Name)
		}
		kc := *k
		kc.variant = t
		c.keras[i] = &kc
	}
	return &c, nil
}

// Validation returns the validation metrics of a classifier learn block for
// one model type (the zero value means the block's selected type), for its
// table (metrics.Classification.WriteTable).
func (m *Model) Validation(learnID int, t ModelType) (*metrics.Classification, error) {
	k, err := m.kerasBlock(learnID)
	if err != nil {
		return nil, err
	}
	if k.regression {
		return nil, fmt.Errorf("impulse: learn block %d is a regression model", learnID)
	}
	if t == 0 {
		t = k.variant
	}
	for _, mm := range k.metadata.ModelValidationMetrics {
		if mm.Type == t.String() {
			return mm.Classification(k.classes)
		}
	}
	return nil, fmt.Errorf("impulse: learn block %d has no %s model", learnID, t)
}

// History returns the per-epoch figures of a neural network learn block's
// training (loss, accuracy, val_loss, val_accuracy), one entry per epoch.
// Elapsed is not kept (it is zero), so that a model's files depend only on
// its seed, definition and data.
func (m *Model) History(learnID int) ([]learn.EpochStats, error) {
	k, err := m.kerasBlock(learnID)
	if err != nil {
		return nil, err
	}
	return slices.Clone(k.history), nil
}

// BestEpoch returns the 1-based epoch whose weights a neural network learn
// block kept (the one with the lowest validation loss).
func (m *Model) BestEpoch(learnID int) (int, error) {
	k, err := m.kerasBlock(learnID)
	if err != nil {
		return 0, err
	}
	return k.bestEpoch, nil
}

func (m *Model) kerasBlock(id int) (*kerasBlock, error) {
	for _, k := range m.keras {
		if k.block.ID == id {
			return k, nil
		}
	}
	return nil, fmt.Errorf("impulse: no trained neural network learn block with id %d", id)
}

// Labels returns the classes of the first classifier, or nil when the
// impulse has none.
func (m *Model) Labels() []string {
	for _, k := range m.keras {
		if !k.regression {
			return k.classes
		}
	}
	return nil
}

// Detailed returns Studio's impulses-detailed response for the trained
// impulse: one DetailedImpulse with the impulse, its metrics and every
// block's configuration and metadata.
func (m *Model) Detailed() studio.DetailedImpulsesResponse {
	im := m.im.def.Impulse
	if im.ID == 0 {
		im.ID = 1
	}
	if im.Type == "" {
		im.Type = "default"
	}
	// createdAt is left out: it is optional, and the published TypeScript
	// types want a Date, which JSON cannot hold.
	im.InputBlocks = slices.Clone(im.InputBlocks)
	for i := range im.InputBlocks {
		im.InputBlocks[i].CreatedBy = "createImpulse"
	}
	im.DSPBlocks = slices.Clone(im.DSPBlocks)
	for i := range im.DSPBlocks {
		im.DSPBlocks[i].CreatedBy = "createImpulse"
	}
	im.LearnBlocks = slices.Clone(im.LearnBlocks)
	for i := range im.LearnBlocks {
		im.LearnBlocks[i].CreatedBy = "createImpulse"
	}
	d := studio.DetailedImpulse{
		Impulse:                    im,
		Metrics:                    []studio.DetailedImpulseMetric{},
		DSPBlockConfigs:            m.dspConfigs,
		LearnBlockKerasConfigs:     []studio.KerasBlockConfig{},
		LearnBlockAnomalyConfigs:   []studio.AnomalyBlockConfig{},
		PostProcessingBlockConfigs: []studio.PostProcessingBlockConfig{},
		Configured:                 true,
		Complete:                   true,
		Tags:                       []string{},
	}
	for _, k := range m.keras {
		md := k.metadata
		d.LearnBlockKerasConfigs = append(d.LearnBlockKerasConfigs, studio.KerasBlockConfig{BlockID: k.block.ID, Config: k.config, Metadata: &md})
		d.Metrics = append(d.Metrics, kerasMetrics(k)...)
	}
	for _, a := range m.anomalies {
		d.LearnBlockAnomalyConfigs = append(d.LearnBlockAnomalyConfigs, a.config)
	}
	d.Metrics = append(d.Metrics, m.impulseMetrics()...)
	return studio.DetailedImpulsesResponse{Success: true, Impulses: []studio.DetailedImpulse{d},
		MetricKeysByCategory: metricKeys, ExtraTableColumns: []string{}}
}

// The metrics of the impulses-detailed response. Studio's own names are
// not public (impulse-model.md §1); these are the project's, stable.
var metricKeys = []studio.MetricKeys{
	{Category: "learnBlockMetrics", MetricKeys: []studio.MetricKey{
		{Name: "accuracy", Description: "Validation accuracy of the selected model type", Type: "core", ShowInTable: true},
		{Name: "loss", Description: "Validation loss of the selected model type", Type: "core", ShowInTable: true},
		{Name: "f1Score", Description: "Weighted average F1 score on the validation set", Type: "additional", ShowInTable: true},
		{Name: "mse", Description: "Validation mean squared error (regression)", Type: "additional", ShowInTable: false},
	}},
	{Category: "impulseMetrics", MetricKeys: []studio.MetricKey{
		{Name: "latencyMs", Description: "Estimated latency of one window on the default target (DSP, network and anomaly blocks)", Type: "core", ShowInTable: true},
		{Name: "ramBytes", Description: "Estimated peak RAM on the default target (EON)", Type: "core", ShowInTable: true},
		{Name: "romBytes", Description: "Estimated ROM on the default target (EON)", Type: "core", ShowInTable: true},
	}},
}

func metric(name, category, typ, desc string, v float64, format string) studio.DetailedImpulseMetric {
	return studio.DetailedImpulseMetric{Name: name, Type: typ, Category: category, Description: desc,
		Value: strconv.FormatFloat(v, 'f', -1, 64), ValueForSorting: &v, ValueHint: format}
}

// selected returns the validation metrics of a block's selected model type.
func (k *kerasBlock) selected() metrics.ModelMetrics {
	for _, mm := range k.metadata.ModelValidationMetrics {
		if mm.Type == k.variant.String() {
			return mm
		}
	}
	return k.metadata.ModelValidationMetrics[0]
}

func kerasMetrics(k *kerasBlock) []studio.DetailedImpulseMetric {
	mm := k.selected()
	title := fmt.Sprintf("%s (%s)", k.block.Name, mm.Type)
	var out []studio.DetailedImpulseMetric
	if mm.Accuracy != nil {
		a := metric("accuracy", "learnBlockMetrics", "core", "Validation accuracy of "+title, *mm.Accuracy, "percentage")
		a.Value = strconv.FormatFloat(*mm.Accuracy, 'f', 4, 64)
		out = append(out, a)
	}
	l := metric("loss", "learnBlockMetrics", "core", "Validation loss of "+title, mm.Loss, "")
	l.Value = strconv.FormatFloat(mm.Loss, 'f', 4, 64)
	out = append(out, l)
	for _, am := range mm.AdditionalMetrics {
		switch am.Name {
		case metrics.MetricWeightedF1:
			f := metric("f1Score", "learnBlockMetrics", "additional", "Weighted average F1 score of "+title, am.FullPrecisionValue, "")
			f.Value = am.Value
			out = append(out, f)
		case metrics.MetricMSE:
			f := metric("mse", "learnBlockMetrics", "additional", "Mean squared error of "+title, am.FullPrecisionValue, "")
			f.Value = am.Value
			out = append(out, f)
		}
	}
	return out
}

// impulseMetrics sums the estimates of every block on the default target:
// latency is additive, RAM is the largest block's (they run one after the
// other), ROM is additive.
func (m *Model) impulseMetrics() []studio.DetailedImpulseMetric {
	var latency, ram, rom float64
	for _, c := range m.dspConfigs {
		if p := c.Config.DSP.Performance; p != nil {
			latency += float64(p.Latency)
			ram = max(ram, float64(p.RAM))
		}
	}
	for _, k := range m.keras {
		for _, p := range k.selected().OnDevicePerformance {
			if p.IsDefault && p.HasPerformance {
				latency += float64(p.Latency)
				ram = max(ram, float64(p.EON.RAM))
				rom += float64(p.EON.ROM)
			}
		}
	}
	return []studio.DetailedImpulseMetric{
		metric("latencyMs", "impulseMetrics", "core", "Estimated latency per window on the default target (ms)", latency, ""),
		metric("ramBytes", "impulseMetrics", "core", "Estimated peak RAM on the default target (bytes)", ram, ""),
		metric("romBytes", "impulseMetrics", "core", "Estimated ROM on the default target (bytes)", rom, ""),
	}
}

// The saved form of a model: a folder holding impulse.json (this manifest,
// with the definition and every block's results) and one binary file per
// network or anomaly model, each in its package's checksummed format.
const (
	modelFormat   = "tinyimpulse-model"
	modelVersion  = 1
	manifestFile  = "impulse.json"
	DetailedFile  = "impulses-detailed.json"
	maxModelBytes = 1 << 30
)

type manifest struct {
	Format     string                  `json:"format"`
	Version    int                     `json:"version"`
	Created    time.Time               `json:"created"`
	Seed       uint64                  `json:"seed"`
	Targets    []string                `json:"targets,omitempty"`
	Definition json.RawMessage         `json:"definition"`
	DSP        []studio.DSPBlockConfig `json:"dspBlockConfigs"`
	Keras      []manifestKeras         `json:"keras"`
	Anomalies  []manifestAnomaly       `json:"anomalies"`
}

type manifestKeras struct {
	ID         int                       `json:"id"`
	Classes    []string                  `json:"classes"`
	Regression bool                      `json:"regression"`
	Variant    string                    `json:"variant"`
	Threshold  float64                   `json:"threshold"`
	BestEpoch  int                       `json:"bestEpoch"`
	History    []learn.EpochStats        `json:"history"`
	Float32    string                    `json:"float32"`
	Int8       string                    `json:"int8"`
	Config     studio.KerasConfig        `json:"config"`
	Metadata   studio.KerasModelMetadata `json:"metadata"`
}

type manifestAnomaly struct {
	ID     int                       `json:"id"`
	File   string                    `json:"file"`
	Config studio.AnomalyBlockConfig `json:"config"`
}

// Save writes the model to the folder dir, with Studio's impulses-detailed
// response beside it (impulses-detailed.json). It writes into a new folder
// next to dir and renames it into place only when everything is written, so
// an interrupted Save leaves dir as it was. An existing dir is replaced
// only if it holds a saved model or nothing.
func (m *Model) Save(dir string) error {
	dir = filepath.Clean(dir)
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("impulse: %s exists and is not a folder", dir)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			if _, err := os.Stat(filepath.Join(dir, manifestFile)); err != nil {
				return fmt.Errorf("impulse: %s is not empty and holds no saved model; not overwriting it", dir)
			}
		}
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := m.writeFiles(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			if rerr := os.Rename(old, dir); rerr != nil {
				return errors.Join(err, fmt.Errorf("impulse: the previous model is left in %s: %w", old, rerr))
			}
		}
		return err
	}
	if old != "" {
		// The new model is in place; a leftover copy of the old one is
		// only clutter.
		os.RemoveAll(old)
	}
	return nil
}

// modelFile is one file of a saved model.
type modelFile struct {
	name string
	data []byte
}

// files returns the files of the saved form of the model, manifest first.
func (m *Model) files() ([]modelFile, error) {
	def, err := json.Marshal(&m.im.def)
	if err != nil {
		return nil, err
	}
	man := manifest{Format: modelFormat, Version: modelVersion, Created: m.created, Seed: m.seed, Targets: m.targets,
		Definition: def, DSP: m.dspConfigs, Keras: []manifestKeras{}, Anomalies: []manifestAnomaly{}}
	var bins []modelFile
	for _, k := range m.keras {
		mk := manifestKeras{ID: k.block.ID, Classes: k.classes, Regression: k.regression, Variant: k.variant.String(),
			Threshold: k.threshold, BestEpoch: k.bestEpoch, History: k.history, Config: k.config, Metadata: k.metadata,
			Float32: fmt.Sprintf("learn-%d-float32.bin", k.block.ID), Int8: fmt.Sprintf("learn-%d-int8.bin", k.block.ID)}
		for _, f := range []struct {
			name string
			net  encoding.BinaryMarshaler
		}{{mk.Float32, k.float}, {mk.Int8, k.int8}} {
			data, err := f.net.MarshalBinary()
			if err != nil {
				return nil, err
			}
			bins = append(bins, modelFile{f.name, data})
		}
		man.Keras = append(man.Keras, mk)
	}
	for _, a := range m.anomalies {
		ma := manifestAnomaly{ID: a.block.ID, File: fmt.Sprintf("anomaly-%d.bin", a.block.ID), Config: a.config}
		data, err := a.model.MarshalBinary()
		if err != nil {
			return nil, err
		}
		bins = append(bins, modelFile{ma.File, data})
		man.Anomalies = append(man.Anomalies, ma)
	}
	data, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	detailed, err := json.MarshalIndent(m.Detailed(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]modelFile{{manifestFile, append(data, '\n')}, {DetailedFile, append(detailed, '\n')}}, bins...), nil
}

func (m *Model) writeFiles(dir string) error {
	files, err := m.files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// zipTime is the modification time of every file of a model's zip form,
// so that the same model always gives the same bytes.
var zipTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteTo writes the model as one zip file holding the files Save writes
// into a folder (the manifest, impulses-detailed.json and one file per
// network or anomaly model), for storage that keeps files rather than
// folders, such as an object store. The same model always gives the same
// bytes. ReadModel and LoadModelFS read it back.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	files, err := m.files()
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: w}
	z := zip.NewWriter(cw)
	for _, f := range files {
		fw, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return cw.n, err
		}
		if _, err := fw.Write(f.data); err != nil {
			return cw.n, err
		}
	}
	err = z.Close()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadModel reads a model written by WriteTo from r, which holds size
// bytes.
func ReadModel(r io.ReaderAt, size int64) (*Model, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: not a model zip: %v", ErrModel, err)
	}
	return loadModel(z, "zip")
}

// ErrModel is wrapped by errors about a saved model that cannot be read.
var ErrModel = errors.New("impulse: invalid saved model")

// LoadModel reads a model saved by Save into the folder dir.
func LoadModel(dir string) (*Model, error) { return loadModel(os.DirFS(dir), dir) }

// LoadModelFS reads a model from the root of fsys, which holds the files
// Save writes into a folder: os.DirFS of that folder, or the *zip.Reader of
// what WriteTo writes.
func LoadModelFS(fsys fs.FS) (*Model, error) { return loadModel(fsys, "model") }

// loadModel reads a model from fsys; where names it in errors.
func loadModel(fsys fs.FS, where string) (*Model, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrModel, where, fmt.Sprintf(format, args...))
	}
	read := func(name string) ([]byte, error) {
		if name == "" || path.Base(name) != name || !fs.ValidPath(name) {
			return nil, bad("file name %q is not a plain file name", name)
		}
		fi, err := fs.Stat(fsys, name)
		if err != nil {
			return nil, bad("%v", err)
		}
		if fi.Size() > maxModelBytes {
			return nil, bad("%s is larger than %d bytes", name, maxModelBytes)
		}
		f, err := fsys.Open(name)
		if err != nil {
			return nil, bad("%v", err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxModelBytes+1))
		if err != nil {
			return nil, bad("%s: %v", name, err)
		}
		if len(data) > maxModelBytes {
			return nil, bad("%s is larger than %d bytes", name, maxModelBytes)
		}
		return data, nil
	}
	data, err := read(manifestFile)
	if err != nil {
		return nil, err
	}
	var man manifest
	if err := json.Unmarshal(data, &man); err != nil {
		return nil, bad("%s: %v", manifestFile, err)
	}
	if man.Format != modelFormat {
		return nil, bad("%s: format %q, want %q", manifestFile, man.Format, modelFormat)
	}
	if man.Version != modelVersion {
		return nil, bad("%s: version %d, this build reads version %d", manifestFile, man.Version, modelVersion)
	}
	def, err := ParseDefinition(man.Definition)
	if err != nil {
		return nil, bad("%s: definition: %v", manifestFile, err)
	}
	im, err := Compile(def, nil)
	if err != nil {
		return nil, bad("%s: definition: %v", manifestFile, err)
	}
	m := &Model{im: im, created: man.Created, seed: man.Seed, targets: man.Targets, dspConfigs: man.DSP}
	blocks := map[int]studio.LearnBlock{}
	for _, lb := range im.def.Impulse.LearnBlocks {
		blocks[lb.ID] = lb
	}
	for _, mk := range man.Keras {
		lb, ok := blocks[mk.ID]
		if !ok {
			return nil, bad("keras block %d is not in the definition", mk.ID)
		}
		variant, err := ParseModelType(mk.Variant)
		if err != nil || variant == 0 {
			return nil, bad("keras block %d: model type %q, want int8 or float32", mk.ID, mk.Variant)
		}
		kb := &kerasBlock{block: lb, classes: mk.Classes, regression: mk.Regression, variant: variant,
			threshold: mk.Threshold, bestEpoch: mk.BestEpoch, history: mk.History, config: mk.Config, metadata: mk.Metadata}
		fd, err := read(mk.Float32)
		if err != nil {
			return nil, err
		}
		if kb.float, err = learn.UnmarshalNetwork(fd); err != nil {
			return nil, bad("%s: %v", mk.Float32, err)
		}
		qd, err := read(mk.Int8)
		if err != nil {
			return nil, err
		}
		if kb.int8, err = learn.UnmarshalInt8Network(qd); err != nil {
			return nil, bad("%s: %v", mk.Int8, err)
		}
		n := im.NumFeatures(mk.ID)
		for _, p := range []learn.Predictor{kb.float, kb.int8} {
			if p.Features() != n {
				return nil, bad("keras block %d reads %d features, the definition gives %d", mk.ID, p.Features(), n)
			}
			if p.Outputs() != len(kb.classes) {
				return nil, bad("keras block %d has %d classes for %d network outputs", mk.ID, len(kb.classes), p.Outputs())
			}
		}
		if kb.float.Regression() != kb.regression || kb.int8.Regression() != kb.regression {
			return nil, bad("keras block %d: regression is %v, its networks say otherwise", mk.ID, kb.regression)
		}
		if len(kb.metadata.ModelValidationMetrics) == 0 {
			return nil, bad("keras block %d has no validation metrics", mk.ID)
		}
		m.keras = append(m.keras, kb)
	}
	for _, ma := range man.Anomalies {
		lb, ok := blocks[ma.ID]
		if !ok {
			return nil, bad("anomaly block %d is not in the definition", ma.ID)
		}
		ad, err := read(ma.File)
		if err != nil {
			return nil, err
		}
		model, err := anomaly.Load(ad)
		if err != nil {
			return nil, bad("%s: %v", ma.File, err)
		}
		if n := im.NumFeatures(ma.ID); model.NumFeatures() != n {
			return nil, bad("anomaly block %d reads %d features, the definition gives %d", ma.ID, model.NumFeatures(), n)
		}
		m.anomalies = append(m.anomalies, &anomalyBlock{block: lb, model: model, config: ma.Config})
	}
	return m, nil
}
