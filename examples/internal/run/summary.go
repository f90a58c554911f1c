package run

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tinyimpulse/tinyimpulse/anomaly"
	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/table"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// summary prints the sections of a run's output. The first write error is
// kept in err and ends the printing.
type summary struct {
	w      io.Writer
	ex     Example
	im     *impulse.Impulse
	def    *impulse.Definition // the completed definition
	ds     *dataset.Dataset
	opt    Options
	target device.Target
	m      *impulse.Model
	err    error
}

func (s *summary) printf(format string, args ...any) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, format, args...)
	}
}

// write runs a table writer unless an earlier write failed.
func (s *summary) write(f func(io.Writer) error) {
	if s.err == nil {
		s.err = f(s.w)
	}
}

// item prints "  key  text", wrapping text at table.Width with its
// continuation lines aligned under its start.
func (s *summary) item(key, text string) {
	indent := fmt.Sprintf("  %-9s", key)
	s.printf("%s\n", wrap(indent, text))
}

// wrap prefixes text with indent and wraps it at table.Width at spaces.
func wrap(indent, text string) string {
	pad := strings.Repeat(" ", len(indent))
	var b strings.Builder
	line := indent
	empty := true
	for word := range strings.FieldsSeq(text) {
		if !empty && len(line)+1+len(word) > table.Width {
			b.WriteString(line + "\n")
			line, empty = pad, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	b.WriteString(line)
	return b.String()
}

// header describes the dataset and the impulse.
func (s *summary) header(defFile, dataDir string) {
	train := s.ds.Category(dataset.CategoryTraining)
	test := s.ds.Category(dataset.CategoryTesting)
	s.printf("%s\n", s.ex.Title)
	data := fmt.Sprintf("%s: %d training samples (%s), %d testing samples", displayPath(dataDir), len(train),
		strings.Join(dataset.Labels(train), ", "), len(test))
	if s.opt.Normal != "" {
		data += fmt.Sprintf("; -normal %s: other labels are anomalies", s.opt.Normal)
	}
	s.item("data", data)
	s.item("impulse", fmt.Sprintf("%s (%q), seed %d", displayPath(defFile), s.def.Impulse.Name, s.opt.Seed))
	for _, in := range s.def.Impulse.InputBlocks {
		s.item("input", describeInput(in))
	}
	for _, b := range s.def.Impulse.DSPBlocks {
		s.item("dsp", fmt.Sprintf("%s (%s v%d)", b.Name, b.Type, b.ImplementationVersion))
	}
	for _, b := range s.def.Impulse.LearnBlocks {
		s.item("learn", fmt.Sprintf("%s (%s): %s", b.Name, b.Type, s.describeLearn(b)))
	}
	s.printf("\nTraining...\n")
}

func describeInput(in studio.InputBlock) string {
	if in.Type == studio.InputImage {
		return fmt.Sprintf("images resized to %d×%d (%s, %s)", in.ImageWidth, in.ImageHeight, in.ResizeMode, in.ResizeMethod)
	}
	d := fmt.Sprintf("%s, %d ms windows every %d ms, %s Hz", in.Type, in.WindowSizeMs, in.WindowIncreaseMs,
		strconv.FormatFloat(in.FrequencyHz, 'g', 6, 64))
	if len(in.Axes) > 0 {
		d += " (" + strings.Join(in.Axes, ", ") + ")"
	}
	return d
}

// describeLearn summarises a learn block's settings.
func (s *summary) describeLearn(b studio.LearnBlock) string {
	nf := s.im.NumFeatures(b.ID)
	switch b.Type {
	case studio.LearnKeras, studio.LearnKerasRegression:
		cfg, _, err := s.im.KerasConfig(b.ID)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%d features → %s; %d epochs, learning rate %g", nf, describeLayers(cfg.VisualLayers),
			cfg.TrainingCycles, cfg.LearningRate)
	case studio.LearnAnomaly:
		cfg, err := s.im.KMeansConfig(b.ID)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("K-means, %d clusters on %s", orDefault(cfg.ClusterCount, anomaly.DefaultClusterCount),
			axes(len(cfg.Axes), nf))
	case studio.LearnAnomalyGMM:
		cfg, err := s.im.GMMConfig(b.ID)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("Gaussian mixture, %d components on %s", orDefault(cfg.ClusterCount, anomaly.DefaultComponents),
			axes(len(cfg.Axes), nf))
	}
	return strconv.Itoa(nf) + " features"
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// axes describes an anomaly block's selected features.
func axes(selected, all int) string {
	if selected == 0 || selected == all {
		return fmt.Sprintf("all %d features", all)
	}
	return fmt.Sprintf("%d of %d features", selected, all)
}

// describeLayers writes visual layers as Studio lists them, "dense 20,
// dense 10" or "reshape 13, conv1d 8 (k3), dropout 0.25, …".
func describeLayers(layers []learn.VisualLayer) string {
	var parts []string
	for _, l := range layers {
		if l.Enabled != nil && !*l.Enabled {
			continue
		}
		p := l.Type
		switch l.Type {
		case "dense":
			p += " " + strconv.Itoa(l.Neurons)
		case "conv1d", "conv2d":
			p += fmt.Sprintf(" %d (k%d)", l.Neurons, orDefault(l.KernelSize, 3))
			if l.Stack > 1 {
				p += fmt.Sprintf(" ×%d", l.Stack)
			}
		case "reshape":
			p += " " + strconv.Itoa(l.Columns)
		case "dropout":
			r := 0.25
			if l.DropoutRate != nil {
				r = *l.DropoutRate
			}
			p += " " + strconv.FormatFloat(r, 'g', 3, 64)
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "output layer only"
	}
	return strings.Join(parts, ", ")
}

// training reports what the job did.
func (s *summary) training(d time.Duration) {
	det := s.m.Detailed().Impulses[0]
	windows := 0
	for _, c := range det.DSPBlockConfigs {
		if c.Metadata != nil {
			windows = c.Metadata.WindowCount
			break
		}
	}
	s.printf("Trained in %s: %d windows of %d training samples.\n", seconds(d), windows,
		len(s.ds.Category(dataset.CategoryTraining)))
}

// seconds formats a duration for people: "0.12 s", "3.4 s", "61 s".
func seconds(d time.Duration) string {
	sec := d.Seconds()
	switch {
	case sec < 1:
		return strconv.FormatFloat(sec, 'f', 2, 64) + " s"
	case sec < 10:
		return strconv.FormatFloat(sec, 'f', 1, 64) + " s"
	}
	return strconv.FormatFloat(sec, 'f', 0, 64) + " s"
}

// validation prints each classifier's validation results: the confusion
// matrix of the selected model variant with per-class F1, and the accuracy
// of both variants.
func (s *summary) validation() {
	det := s.m.Detailed().Impulses[0]
	for _, k := range det.LearnBlockKerasConfigs {
		md := k.Metadata
		if md == nil || len(md.ModelValidationMetrics) == 0 {
			continue
		}
		name := blockName(det.Impulse, k.BlockID)
		best := ""
		if e, err := s.m.BestEpoch(k.BlockID); err == nil {
			best = fmt.Sprintf(", weights of epoch %d of %d", e, k.Config.TrainingCycles)
		}
		if md.Mode == "regression" {
			s.printf("\n%s, validation set%s:\n", name, best)
			for _, mm := range md.ModelValidationMetrics {
				s.printf("  %-8s loss (mean squared error) %.4f\n", mm.Type, mm.Loss)
			}
			continue
		}
		c, err := s.m.Validation(k.BlockID, 0)
		if err != nil {
			s.err = err
			return
		}
		s.printf("\n%s, validation set, %s model%s:\n", name, k.Config.SelectedModelType, best)
		s.write(c.WriteTable)
		var acc []string
		for _, t := range []string{"int8", "float32"} {
			for _, mm := range md.ModelValidationMetrics {
				if mm.Type == t && mm.Accuracy != nil {
					acc = append(acc, fmt.Sprintf("%s %.1f%% (loss %.4f)", t, 100**mm.Accuracy, mm.Loss))
				}
			}
		}
		s.printf("%s\n", wrap("Validation accuracy: ", strings.Join(acc, ", ")))
	}
}

func blockName(im studio.Impulse, id int) string {
	for _, b := range im.LearnBlocks {
		if b.ID == id {
			return b.Name
		}
	}
	return "block " + strconv.Itoa(id)
}

// anomalyBlocks prints what each anomaly block learned.
func (s *summary) anomalyBlocks() {
	det := s.m.Detailed().Impulses[0]
	for _, a := range det.LearnBlockAnomalyConfigs {
		model := fmt.Sprintf("%d clusters", len(a.Config.Axes))
		if a.Metadata != nil {
			model = fmt.Sprintf("%d clusters", len(a.Metadata.Clusters))
		}
		if a.GMMMetadata != nil {
			model = fmt.Sprintf("%d Gaussian components", len(a.GMMMetadata.Weights))
		}
		threshold := a.Config.MinimumConfidenceRating
		for _, t := range a.Config.Thresholds {
			if t.Key == anomaly.ThresholdKey {
				threshold = t.Value
			}
		}
		s.printf("\n%s\n", wrap(blockName(det.Impulse, a.BlockID)+": ", fmt.Sprintf("%s on %d features; a window is an anomaly above a score of %s.",
			model, len(a.Config.SelectedAxes), strconv.FormatFloat(threshold, 'g', 4, 64))))
	}
}

// testing prints model testing.
func (s *summary) testing(r *impulse.TestReport) {
	s.printf("\n")
	s.write(r.WriteTable)
}

// estimate prints the on-device estimates.
func (s *summary) estimate(est *device.DeviceSummary) {
	s.printf("\n")
	s.write(est.WriteTable)
}

// saved says where the model and its JSON are.
func (s *summary) saved(dir string, withTesting bool) {
	s.printf("\nModel saved to %s\n", displayPath(dir))
	s.printf("  %-23s Studio's impulses-detailed response\n", impulse.DetailedFile)
	if withTesting {
		s.printf("  %-23s model testing (Studio's ClassifyJobResponse)\n", testingFile)
	}
	s.printf("  %-23s the report (HTML)\n", reportFile)
	s.printf("%s\n", wrap("Open: ", displayPath(filepath.Join(dir, reportFile))))
	s.printf("%s\n", wrap("Next: ", "go run ./cmd/impulse classify --model "+displayPath(dir)+" FILE"))
}

// writeJSON writes v as indented JSON to file.
func writeJSON(file string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o644)
}
