package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/report"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// newFlags returns a flag set that reports its errors as usage errors
// instead of printing them.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args into fs and requires the named flags; positional
// arguments after the flags are left for the caller.
func parseFlags(fs *flag.FlagSet, args []string, names ...string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
	}
	return required(fs, names...)
}

// parseFlagsOnly is parseFlags for commands that take no positional
// argument: it refuses them.
func parseFlagsOnly(fs *flag.FlagSet, args []string, names ...string) error {
	if err := parseFlags(fs, args, names...); err != nil {
		return err
	}
	return noArgs(fs)
}

// noArgs refuses positional arguments after the flags.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// unknownTarget is the error for a --target that names no device.
func unknownTarget(id string) error {
	return fmt.Errorf("--target %q: unknown target (impulse estimate --target list shows them)", id)
}

func required(fs *flag.FlagSet, names ...string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if !set[n] {
			return usageError{fmt.Sprintf("%s: --%s is required", fs.Name(), n)}
		}
	}
	return nil
}

// errTerminated ends a cancelled job; the job's log already said
// "Terminated by user".
var errTerminated = errors.New("Terminated by user")

// train implements "impulse train".
func train(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train")
	defFile := fs.String("impulse", "", "impulse definition (JSON)")
	dataDir := fs.String("data", "", "dataset folder in Edge Impulse layout")
	outDir := fs.String("out", "", "folder for the trained impulse and impulses-detailed.json")
	seed := fs.Uint64("seed", 3, "random seed (Studio uses 3)")
	jsonProgress := fs.Bool("json-progress", false, "write progress as JSON events, one per line")
	target := fs.String("target", "", "default device target of the estimates (see impulse estimate)")
	if err := parseFlagsOnly(fs, args, "impulse", "data", "out"); err != nil {
		return err
	}
	def, err := impulse.LoadDefinition(*defFile)
	if err != nil {
		return err
	}
	ds, err := dataset.LoadWith(*dataDir, dataset.LoadOptions{CompactAudio: true})
	if err != nil {
		return err
	}
	var targets []string
	if *target != "" {
		t, err := device.LookupTarget(*target)
		if err != nil {
			return unknownTarget(*target)
		}
		targets = []string{t.ID}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	events := func(e studio.Event) {
		if *jsonProgress {
			b, _ := json.Marshal(e)
			fmt.Fprintf(stderr, "%s\n", b)
		} else if e.Type == studio.EventData {
			io.WriteString(stderr, e.Data)
		}
	}
	start := time.Now()
	im, err := impulse.Compile(def, ds)
	if err != nil {
		return err
	}
	m, err := impulse.Train(ctx, im, ds, impulse.TrainOptions{Seed: *seed, JobID: 1, Events: events, Targets: targets})
	if err != nil {
		if ctx.Err() != nil {
			return errTerminated
		}
		return err
	}
	if ctx.Err() != nil {
		return errTerminated
	}
	// The report is built before anything is written, so that Ctrl-C still
	// leaves --out as it was.
	rep, err := report.Generate(ctx, m, ds, report.Options{Target: *target})
	if err != nil {
		if ctx.Err() != nil {
			return errTerminated
		}
		return err
	}
	if err := m.Save(*outDir); err != nil {
		return fmt.Errorf("--out %s: %v", *outDir, err)
	}
	page := filepath.Join(*outDir, "report.html")
	if err := report.WriteFile(page, rep); err != nil {
		return fmt.Errorf("--out %s: %v", *outDir, err)
	}
	fmt.Fprintf(stdout, "Trained in %.1f s; wrote %s and %s\n", time.Since(start).Seconds(), filepath.Join(*outDir, impulse.DetailedFile), page)
	return nil
}

// test implements "impulse test".
func test(args []string, stdout io.Writer) error {
	fs := newFlags("test")
	modelDir := fs.String("model", "", "trained impulse folder (impulse train --out)")
	dataDir := fs.String("data", "", "dataset folder; its testing samples are classified")
	jsonFile := fs.String("json", "", "write Studio's model-testing result (ClassifyJobResponse) to this file")
	modelType := fs.String("model-type", "", "classify with the int8 or float32 networks (default: each block's selected type)")
	if err := parseFlagsOnly(fs, args, "model", "data"); err != nil {
		return err
	}
	m, err := impulse.LoadModel(*modelDir)
	if err != nil {
		return err
	}
	ds, err := dataset.LoadWith(*dataDir, dataset.LoadOptions{CompactAudio: true})
	if err != nil {
		return err
	}
	samples := ds.Category(dataset.CategoryTesting)
	if len(samples) == 0 {
		return fmt.Errorf("%s has no testing samples", *dataDir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	mt, err := impulse.ParseModelType(*modelType)
	if err != nil {
		return fmt.Errorf("--model-type: %w", err)
	}
	rep, err := m.Test(ctx, samples, impulse.TestOptions{ModelType: mt})
	if err != nil {
		return err
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if *jsonFile != "" {
		data, err := json.MarshalIndent(rep.Response(), "", "  ")
		if err != nil {
			return err
		}
		if err := writeFileAtomic(*jsonFile, append(data, '\n')); err != nil {
			return fmt.Errorf("--json %s: %v", *jsonFile, err)
		}
	}
	return nil
}

// classify implements "impulse classify".
func classify(args []string, stdout io.Writer) error {
	fs := newFlags("classify")
	modelDir := fs.String("model", "", "trained impulse folder (impulse train --out)")
	modelType := fs.String("model-type", "", "classify with the int8 or float32 networks (default: each block's selected type)")
	if err := parseFlags(fs, args, "model"); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"classify: give one or more sample files"}
	}
	m, err := impulse.LoadModel(*modelDir)
	if err != nil {
		return err
	}
	mt, err := impulse.ParseModelType(*modelType)
	if err != nil {
		return fmt.Errorf("--model-type: %w", err)
	}
	if m, err = m.WithModelType(mt); err != nil {
		return err
	}
	c, err := m.NewClassifier()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, file := range fs.Args() {
		s, err := dataset.ReadSample(file)
		if err != nil {
			return err
		}
		res, err := c.ClassifySample(s, impulse.ClassificationWindows)
		if err != nil {
			return fmt.Errorf("%s: %v", file, err)
		}
		if len(res) == 0 {
			// Without padZeros a sample shorter than the input block's
			// window gives none; saying nothing would look like success.
			return fmt.Errorf("%s: no window to classify: the sample is shorter than the impulse's window", file)
		}
		for _, r := range res {
			r.Sample = file
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// estimate implements "impulse estimate".
func estimate(args []string, stdout io.Writer) error {
	fs := newFlags("estimate")
	modelDir := fs.String("model", "", "trained impulse folder (impulse train --out)")
	target := fs.String("target", "", "device target id (default "+device.DefaultTarget+"); list them with --target list")
	asJSON := fs.Bool("json", false, "write the estimates as JSON")
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *target == "list" {
		for _, t := range device.Targets() {
			if t.HasPerformance {
				fmt.Fprintf(stdout, "%-28s %s\n", t.ID, t.Name)
			}
		}
		return nil
	}
	if err := required(fs, "model"); err != nil {
		return err
	}
	m, err := impulse.LoadModel(*modelDir)
	if err != nil {
		return err
	}
	sum, err := m.Estimate(*target)
	if err != nil {
		if errors.Is(err, device.ErrUnknownTarget) {
			return unknownTarget(*target)
		}
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(estimateJSON(sum))
	}
	return sum.WriteTable(stdout)
}

// estimateRow is one row of the estimate's JSON form.
type estimateRow struct {
	Block      string  `json:"block"`
	Engine     string  `json:"engine"`
	LatencyMs  float64 `json:"latencyMs"`
	RAMBytes   int     `json:"ramBytes"`
	ROMBytes   int     `json:"romBytes"`
	ArenaBytes int     `json:"arenaBytes,omitempty"`
}

func estimateJSON(s *device.DeviceSummary) any {
	var rows []estimateRow
	for _, b := range s.DSP {
		rows = append(rows, estimateRow{Block: b.Name, Engine: "dsp", LatencyMs: b.LatencyMs, RAMBytes: b.RAM, ROMBytes: b.ROM})
	}
	for _, p := range s.NN {
		name := "NN " + string(p.DType)
		rows = append(rows,
			estimateRow{Block: name, Engine: "tflite", LatencyMs: p.LatencyMs, RAMBytes: p.TFLite.RAM, ROMBytes: p.TFLite.ROM, ArenaBytes: p.TFLite.Arena},
			estimateRow{Block: name, Engine: "eon", LatencyMs: p.LatencyMs, RAMBytes: p.EON.RAM, ROMBytes: p.EON.ROM, ArenaBytes: p.EON.Arena})
	}
	for _, b := range s.Anomaly {
		rows = append(rows, estimateRow{Block: b.Name, Engine: "anomaly", LatencyMs: b.LatencyMs, RAMBytes: b.RAM, ROMBytes: b.ROM})
	}
	return struct {
		Target device.Target `json:"target"`
		Blocks []estimateRow `json:"blocks"`
	}{s.Target, rows}
}

// writeFileAtomic writes data to a temporary file beside name and renames
// it into place, so that an interrupted write never leaves a partial file.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
