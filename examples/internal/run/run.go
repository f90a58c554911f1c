package run

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/report"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// Example describes one example program.
type Example struct {
	// Name is the program's name: the prefix of its error messages and of
	// its default output folder (tinyimpulse-<Name> under os.TempDir()).
	Name string
	// Title is the heading of its output ("Gestures").
	Title string
	// Definition and Data are the impulse definition and the dataset the
	// program uses without flags, relative to the repository root.
	Definition, Data string
	// NormalFlag adds the -normal flag, for impulses with only anomaly
	// blocks (see Options.Normal).
	NormalFlag bool
}

// Options are the settings of one run, as the flags give them. Empty
// strings mean the example's defaults.
type Options struct {
	// Data is the dataset folder, in Edge Impulse's export layout.
	Data string
	// Impulse is the impulse definition file.
	Impulse string
	// Out is the folder the trained model, impulses-detailed.json and
	// model-testing.json are written to; "" means a folder under
	// os.TempDir(), "-" writes nothing.
	Out string
	// Seed drives every random choice of the training job (Studio uses 3).
	Seed uint64
	// Target is the device of the on-device estimates; "" means
	// device.DefaultTarget.
	Target string
	// Normal, when set, trains on the training samples with this label
	// only and counts testing samples with any other label as anomalies,
	// for datasets whose labels name machine states rather than
	// "normal" and "anomaly".
	Normal string
	// Terminal selects the progress display: one line rewritten in place
	// (true) or plain log lines (false).
	Terminal bool
}

// Result is what a run produced.
type Result struct {
	Model *impulse.Model
	// Test is model testing on the dataset's testing category, nil when
	// the dataset has no testing samples.
	Test *impulse.TestReport
	// Out is the folder the model was saved to ("" when not saved).
	Out string
	// TrainTime is the duration of the training job.
	TrainTime time.Duration
}

// Main runs an example program: it parses the command line, runs the
// example and exits with status 1 after printing an error, or 2 for a usage
// error. SIGINT and SIGTERM cancel the training job.
func Main(ex Example) {
	fs := flag.NewFlagSet(ex.Name, flag.ContinueOnError)
	opt := Options{Seed: 3}
	fs.StringVar(&opt.Data, "data", "", "dataset `folder` in Edge Impulse's export layout (default "+ex.Data+")")
	fs.StringVar(&opt.Impulse, "impulse", "", "impulse definition `file` (default "+ex.Definition+")")
	fs.StringVar(&opt.Out, "out", "", "`folder` for the trained model and its JSON, - for none\n(default "+
		filepath.Join(os.TempDir(), "tinyimpulse-"+ex.Name)+")")
	fs.Uint64Var(&opt.Seed, "seed", opt.Seed, "`seed` of the training job")
	fs.StringVar(&opt.Target, "target", device.DefaultTarget, "`device` of the on-device estimates (an Edge Impulse\nprofiling target id)")
	if ex.NormalFlag {
		fs.StringVar(&opt.Normal, "normal", "", "train on the samples with this `label` only and count testing\n"+
			"samples with any other label as anomalies")
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./examples/%s [flags]\n\nFlags:\n", ex.Name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "%s: unexpected argument %q\n", ex.Name, fs.Arg(0))
		fs.Usage()
		os.Exit(2)
	}
	opt.Terminal = isTerminal(os.Stdout)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	_, err := Run(ctx, ex, opt, os.Stdout)
	interrupted := ctx.Err() != nil
	stop()
	if err != nil {
		if interrupted {
			err = errors.New("interrupted")
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", ex.Name, err)
		os.Exit(1)
	}
}

// Run trains the example's impulse on its dataset and prints the summary of
// the run to w (see the package documentation).
func Run(ctx context.Context, ex Example, opt Options, w io.Writer) (*Result, error) {
	defFile, dataDir, out := opt.Impulse, opt.Data, opt.Out
	if defFile == "" {
		defFile = projectPath(ex.Definition)
	}
	if dataDir == "" {
		dataDir = projectPath(ex.Data)
	}
	if out == "" {
		out = filepath.Join(os.TempDir(), "tinyimpulse-"+ex.Name)
	}
	target, err := device.LookupTarget(opt.Target)
	if err != nil {
		var ids []string
		for _, t := range device.Targets() {
			ids = append(ids, t.ID)
		}
		return nil, fmt.Errorf("%w (known targets: %s)", err, strings.Join(ids, ", "))
	}

	def, err := impulse.LoadDefinition(defFile)
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Load(dataDir)
	if err != nil {
		return nil, err
	}
	if opt.Normal != "" {
		if ds, err = normalOnly(ds, opt.Normal); err != nil {
			return nil, err
		}
	}
	im, err := impulse.Compile(def, ds)
	if err != nil {
		return nil, err
	}
	s := &summary{w: w, ex: ex, im: im, def: im.Definition(), ds: ds, opt: opt, target: target}
	s.header(defFile, dataDir)

	p := newProgress(w, opt.Terminal)
	t0 := time.Now()
	m, err := impulse.Train(ctx, im, ds, impulse.TrainOptions{Seed: opt.Seed, JobID: 1, Events: p.event,
		Targets: []string{target.ID}})
	p.done()
	if err != nil {
		return nil, err
	}
	res := &Result{Model: m, TrainTime: time.Since(t0)}
	s.m = m
	s.training(res.TrainTime)
	s.validation()
	s.anomalyBlocks()

	var resp *studio.ClassifyJobResponse
	if testing := ds.Category(dataset.CategoryTesting); len(testing) > 0 {
		res.Test, err = m.Test(ctx, testing, impulse.TestOptions{})
		if err != nil {
			return nil, err
		}
		s.testing(res.Test)
		r := res.Test.Response()
		resp = &r
	} else {
		s.printf("\nNo testing samples in %s: model testing skipped.\n", displayPath(dataDir))
	}

	if est, err := m.Estimate(target.ID); err != nil {
		// Linux-class and NPU targets have no estimates; the run goes on.
		s.printf("\n%s\n", wrap("No on-device estimate: ", err.Error()))
	} else {
		s.estimate(est)
	}

	if out != "-" {
		if err := save(m, resp, out); err != nil {
			return nil, err
		}
		page, err := report.Build(ctx, m, ds, res.Test, report.Options{Target: target.ID})
		if err != nil {
			return nil, err
		}
		if err := report.WriteFile(filepath.Join(out, reportFile), page); err != nil {
			return nil, err
		}
		res.Out = out
		s.saved(out, resp != nil)
	}
	return res, s.err
}

// normalOnly returns a copy of ds in which only the training samples
// labelled normal stay in the training category (the others are moved out of
// training and testing) and testing samples with another label are
// relabelled impulse.ResultAnomaly. Sample IDs are kept.
func normalOnly(ds *dataset.Dataset, normal string) (*dataset.Dataset, error) {
	out := &dataset.Dataset{Dir: ds.Dir, Samples: make([]*dataset.Sample, len(ds.Samples))}
	var nTrain, nTest int
	for i, s := range ds.Samples {
		c := *s
		switch s.Category {
		case dataset.CategoryTraining:
			if s.Label != normal {
				c.Category = dataset.CategorySplit
			} else {
				nTrain++
			}
		case dataset.CategoryTesting:
			if s.Label != normal {
				c.Label, c.Labels = impulse.ResultAnomaly, nil
			} else {
				nTest++
			}
		}
		out.Samples[i] = &c
	}
	if nTrain == 0 {
		return nil, fmt.Errorf("-normal %q: no training sample of %s has this label (labels: %v)",
			normal, ds.Dir, dataset.Labels(ds.Category(dataset.CategoryTraining)))
	}
	return out, nil
}

// save writes the model, Studio's impulses-detailed response and, when
// there is one, the model-testing response (model-testing.json) to dir.
func save(m *impulse.Model, resp *studio.ClassifyJobResponse, dir string) error {
	if err := m.Save(dir); err != nil {
		return err
	}
	if resp == nil {
		return nil
	}
	return writeJSON(filepath.Join(dir, testingFile), resp)
}

// testingFile is the file name of the model-testing response (Studio's
// ClassifyJobResponse) in the output folder, reportFile the HTML report's.
const (
	testingFile = "model-testing.json"
	reportFile  = "report.html"
)

// projectPath returns rel (a slash-separated path relative to the
// repository root) as a path to the file in the checkout this package was
// built from, or rel itself when that checkout is not there.
func projectPath(rel string) string {
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		p := filepath.Join(root, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return displayPath(p)
		}
	}
	return filepath.FromSlash(rel)
}

// displayPath returns p relative to the working directory when it lies
// inside it, otherwise p.
func displayPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return abs
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
		return abs
	}
	return rel
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
