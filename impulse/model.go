package impulse

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/metrics"
)

// Model is a trained impulse: its definition, the trained learn blocks and
// the results of training. It is immutable; NewClassifier gives each
// goroutine what it needs to classify windows.
type Model struct {
	def        *Definition
	created    time.Time
	seed       uint64
	targets    []string
	dspConfigs []DSPBlockConfig
	keras      []*kerasBlock
	anomalies  []*anomalyBlock
}

// Definition returns the impulse definition the model was trained with,
// with the frequency and axes the data gave.
func (m *Model) Definition() *Definition { return m.def }

// Created returns the time the model was trained.
func (m *Model) Created() time.Time { return m.created }

// WithModelType returns the model with every neural network learn block
// classifying with the given model type: "int8" (Studio's default) or
// "float32", as the model-type switch of Studio's model testing and live
// classification does; "" returns m itself. The two models share their
// networks, which neither changes, so both stay usable at once.
func (m *Model) WithModelType(modelType string) (*Model, error) {
	if modelType == "" {
		return m, nil
	}
	if modelType != "int8" && modelType != "float32" {
		return nil, fmt.Errorf("impulse: model type %q: must be int8 or float32", modelType)
	}
	c := *m
	c.keras = make([]*kerasBlock, len(m.keras))
	for i, k := range m.keras {
		if modelType == "int8" && k.int8 == nil {
			return nil, fmt.Errorf("impulse: learn block %d (%s) has no int8 model", k.block.ID, k.block.Name)
		}
		kc := *k
		kc.variant = modelType
		c.keras[i] = &kc
	}
	return &c, nil
}

// Validation returns the validation metrics of a classifier learn block for
// one model type ("int8" or "float32"; "" means the block's selected type),
// for its table (metrics.Classification.WriteTable).
func (m *Model) Validation(learnID int, variant string) (*metrics.Classification, error) {
	k, err := m.kerasBlock(learnID)
	if err != nil {
		return nil, err
	}
	if k.regression {
		return nil, fmt.Errorf("impulse: learn block %d is a regression model", learnID)
	}
	if variant == "" {
		variant = k.variant
	}
	for _, mm := range k.metadata.ModelValidationMetrics {
		if mm.Type == variant {
			return mm.Classification(k.classes)
		}
	}
	return nil, fmt.Errorf("impulse: learn block %d has no %q model", learnID, variant)
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
func (m *Model) Detailed() DetailedImpulsesResponse {
	im := m.def.Impulse
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
	d := DetailedImpulse{
		Impulse:                    im,
		Metrics:                    []DetailedImpulseMetric{},
		DSPBlockConfigs:            m.dspConfigs,
		LearnBlockKerasConfigs:     []KerasBlockConfig{},
		LearnBlockAnomalyConfigs:   []AnomalyBlockConfig{},
		PostProcessingBlockConfigs: []PostProcessingBlockConfig{},
		Configured:                 true,
		Complete:                   true,
		Tags:                       []string{},
	}
	for _, k := range m.keras {
		md := k.metadata
		d.LearnBlockKerasConfigs = append(d.LearnBlockKerasConfigs, KerasBlockConfig{BlockID: k.block.ID, Config: k.config, Metadata: &md})
		d.Metrics = append(d.Metrics, kerasMetrics(k)...)
	}
	for _, a := range m.anomalies {
		d.LearnBlockAnomalyConfigs = append(d.LearnBlockAnomalyConfigs, a.config)
	}
	d.Metrics = append(d.Metrics, m.impulseMetrics()...)
	return DetailedImpulsesResponse{Success: true, Impulses: []DetailedImpulse{d},
		MetricKeysByCategory: metricKeys, ExtraTableColumns: []string{}}
}

// The metrics of the impulses-detailed response. Studio's own names are
// not public (impulse-model.md §1); these are the project's, stable.
var metricKeys = []MetricKeys{
	{Category: "learnBlockMetrics", MetricKeys: []MetricKey{
		{Name: "accuracy", Description: "Validation accuracy of the selected model type", Type: "core", ShowInTable: true},
		{Name: "loss", Description: "Validation loss of the selected model type", Type: "core", ShowInTable: true},
		{Name: "f1Score", Description: "Weighted average F1 score on the validation set", Type: "additional", ShowInTable: true},
		{Name: "mse", Description: "Validation mean squared error (regression)", Type: "additional", ShowInTable: false},
	}},
	{Category: "impulseMetrics", MetricKeys: []MetricKey{
		{Name: "latencyMs", Description: "Estimated latency of one window on the default target (DSP, network and anomaly blocks)", Type: "core", ShowInTable: true},
		{Name: "ramBytes", Description: "Estimated peak RAM on the default target (EON)", Type: "core", ShowInTable: true},
		{Name: "romBytes", Description: "Estimated ROM on the default target (EON)", Type: "core", ShowInTable: true},
	}},
}

func metric(name, category, typ, desc string, v float64, format string) DetailedImpulseMetric {
	return DetailedImpulseMetric{Name: name, Type: typ, Category: category, Description: desc,
		Value: strconv.FormatFloat(v, 'f', -1, 64), ValueForSorting: &v, ValueHint: format}
}

// selected returns the validation metrics of a block's selected model type.
func (k *kerasBlock) selected() metrics.ModelMetrics {
	for _, mm := range k.metadata.ModelValidationMetrics {
		if mm.Type == k.variant {
			return mm
		}
	}
	return k.metadata.ModelValidationMetrics[0]
}

func kerasMetrics(k *kerasBlock) []DetailedImpulseMetric {
	mm := k.selected()
	title := fmt.Sprintf("%s (%s)", k.block.Name, mm.Type)
	var out []DetailedImpulseMetric
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
func (m *Model) impulseMetrics() []DetailedImpulseMetric {
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
	return []DetailedImpulseMetric{
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
	Format     string            `json:"format"`
	Version    int               `json:"version"`
	Created    time.Time         `json:"created"`
	Seed       uint64            `json:"seed"`
	Targets    []string          `json:"targets,omitempty"`
	Definition json.RawMessage   `json:"definition"`
	DSP        []DSPBlockConfig  `json:"dspBlockConfigs"`
	Keras      []manifestKeras   `json:"keras"`
	Anomalies  []manifestAnomaly `json:"anomalies"`
}

type manifestKeras struct {
	ID         int                `json:"id"`
	Classes    []string           `json:"classes"`
	Regression bool               `json:"regression"`
	Variant    string             `json:"variant"`
	Threshold  float64            `json:"threshold"`
	BestEpoch  int                `json:"bestEpoch"`
	Float32    string             `json:"float32"`
	Int8       string             `json:"int8"`
	Config     KerasConfig        `json:"config"`
	Metadata   KerasModelMetadata `json:"metadata"`
	History    []epochRecord      `json:"history,omitempty"`
}

type manifestAnomaly struct {
	ID     int                `json:"id"`
	File   string             `json:"file"`
	Config AnomalyBlockConfig `json:"config"`
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

func (m *Model) writeFiles(dir string) error {
	def, err := json.Marshal(m.def)
	if err != nil {
		return err
	}
	man := manifest{Format: modelFormat, Version: modelVersion, Created: m.created, Seed: m.seed, Targets: m.targets,
		Definition: def, DSP: m.dspConfigs, Keras: []manifestKeras{}, Anomalies: []manifestAnomaly{}}
	write := func(name string, data []byte) error {
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	for _, k := range m.keras {
		mk := manifestKeras{ID: k.block.ID, Classes: k.classes, Regression: k.regression, Variant: k.variant,
			Threshold: k.threshold, BestEpoch: k.bestEpoch, Config: k.config, Metadata: k.metadata, History: historyRecords(k.history),
			Float32: fmt.Sprintf("learn-%d-float32.bin", k.block.ID), Int8: fmt.Sprintf("learn-%d-int8.bin", k.block.ID)}
		for _, f := range []struct {
			name string
			net  encoding.BinaryMarshaler
		}{{mk.Float32, k.float}, {mk.Int8, k.int8}} {
			data, err := f.net.MarshalBinary()
			if err != nil {
				return err
			}
			if err := write(f.name, data); err != nil {
				return err
			}
		}
		man.Keras = append(man.Keras, mk)
	}
	for _, a := range m.anomalies {
		ma := manifestAnomaly{ID: a.block.ID, File: fmt.Sprintf("anomaly-%d.bin", a.block.ID), Config: a.config}
		data, err := a.model.MarshalBinary()
		if err != nil {
			return err
		}
		if err := write(ma.File, data); err != nil {
			return err
		}
		man.Anomalies = append(man.Anomalies, ma)
	}
	data, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	if err := write(manifestFile, append(data, '\n')); err != nil {
		return err
	}
	detailed, err := json.MarshalIndent(m.Detailed(), "", "  ")
	if err != nil {
		return err
	}
	return write(DetailedFile, append(detailed, '\n'))
}

// ErrModel is wrapped by errors about a saved model that cannot be read.
var ErrModel = errors.New("impulse: invalid saved model")

// LoadModel reads a model saved by Save.
func LoadModel(dir string) (*Model, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrModel, dir, fmt.Sprintf(format, args...))
	}
	read := func(name string) ([]byte, error) {
		if name == "" || filepath.Base(name) != name {
			return nil, bad("file name %q is not a plain file name", name)
		}
		f := filepath.Join(dir, name)
		fi, err := os.Stat(f)
		if err != nil {
			return nil, bad("%v", err)
		}
		if fi.Size() > maxModelBytes {
			return nil, bad("%s is larger than %d bytes", name, maxModelBytes)
		}
		return os.ReadFile(f)
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
	if !def.Ready() {
		return nil, bad("%s: the definition has no frequency or axes", manifestFile)
	}
	m := &Model{def: def, created: man.Created, seed: man.Seed, targets: man.Targets, dspConfigs: man.DSP}
	blocks := map[int]LearnBlock{}
	for _, lb := range def.Impulse.LearnBlocks {
		blocks[lb.ID] = lb
	}
	for _, mk := range man.Keras {
		lb, ok := blocks[mk.ID]
		if !ok {
			return nil, bad("keras block %d is not in the definition", mk.ID)
		}
		kb := &kerasBlock{block: lb, classes: mk.Classes, regression: mk.Regression, variant: mk.Variant,
			threshold: mk.Threshold, bestEpoch: mk.BestEpoch, config: mk.Config, metadata: mk.Metadata}
		if kb.history, err = historyStats(mk.History); err != nil {
			return nil, bad("keras block %d: %v", mk.ID, err)
		}
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
		n := def.NumFeatures(mk.ID)
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
		if kb.variant != "int8" && kb.variant != "float32" {
			return nil, bad("keras block %d: model type %q, want int8 or float32", mk.ID, kb.variant)
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
		if n := def.NumFeatures(ma.ID); model.NumFeatures() != n {
			return nil, bad("anomaly block %d reads %d features, the definition gives %d", ma.ID, model.NumFeatures(), n)
		}
		m.anomalies = append(m.anomalies, &anomalyBlock{block: lb, model: model, config: ma.Config})
	}
	return m, nil
}
