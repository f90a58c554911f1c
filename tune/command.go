package tune

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// ErrUsage is wrapped by the errors of Command that are about how it was
// invoked (unknown or missing flags); the command line exits 2 on them.
var ErrUsage = errors.New("usage")

// CommandUsage is the usage text of Command.
const CommandUsage = `usage: impulse tune --data DIR [--impulse FILE] [--space FILE] [--target ID]
                    [--latency-ms N] [--ram KB] [--rom KB] [--model-type int8|float32]
                    [--trials N] [--time 5m] [--seed N] [--workers N] [--nats URL]
                    [--rotation DEG] [--out DIR]
`

// Command runs `impulse tune` with its arguments (after "tune"): it
// searches impulses for the dataset under the budget, prints a progress
// line per trial to stderr and the tables of trials, Pareto front and
// picks to stdout, and with --out writes impulse.json (the chosen
// definition, which `impulse train --impulse` takes as it is), the chosen
// model trained on every training sample (model/), trials.json (Studio's
// OptimizeStateResponse), space.json (the space searched) and
// trials.txt (the tables). Cancelling ctx (SIGINT) stops the search and
// writes what finished. Command cannot reach a fleet: --nats is refused
// (see CommandFleet).
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return CommandFleet(ctx, args, stdout, stderr, nil)
}

// CommandFleet is Command in a program that can reach a fleet of
// workers: with --nats URL the trials run on the workers dial connects
// to (cmd/impulse passes service.DialTrials), and --workers, when not
// given, is the number of trials the workers run at once as they answer
// when the search starts (printed, to repeat the search with the same
// trials). The final picks train in this process.
func CommandFleet(ctx context.Context, args []string, stdout, stderr io.Writer, dial Dial) error {
	fs := flag.NewFlagSet("tune", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "dataset folder")
	start := fs.String("impulse", "", "starting impulse definition")
	spaceFile := fs.String("space", "", "search space (EON Tuner JSON)")
	target := fs.String("target", "", "device id")
	latency := fs.Float64("latency-ms", 0, "latency budget, ms")
	ram := fs.Float64("ram", 0, "RAM budget, KB")
	rom := fs.Float64("rom", 0, "ROM budget, KB")
	modelType := fs.String("model-type", "int8", "int8 or float32")
	trials := fs.Int("trials", 0, "trials")
	timeBudget := fs.Duration("time", 0, "time budget")
	seed := fs.Uint64("seed", 0, "seed")
	workers := fs.Int("workers", 0, "trials at once (0: one per core, or the fleet's slots with --nats)")
	natsURL := fs.String("nats", "", "run the trials on the workers of this NATS cluster")
	out := fs.String("out", "", "output folder")
	rotation := fs.Float64("rotation", 0, "score held-out windows also turned by up to this many degrees (0: 45 for data recorded in many orientations; -1: off)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("tune: %v: %w", err, ErrUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("tune: unexpected argument %q: %w", fs.Arg(0), ErrUsage)
	}
	if *data == "" {
		return fmt.Errorf("tune: --data is required: %w", ErrUsage)
	}
	opt := Options{Target: *target, Trials: *trials, Time: *timeBudget, Seed: *seed, Workers: *workers}
	if !(*rotation <= 180) {
		return fmt.Errorf("tune: --rotation %v: must be at most 180 degrees", *rotation)
	}
	opt.Validation.Rotation = *rotation
	for _, b := range []struct {
		name string
		v    float64
	}{{"--latency-ms", *latency}, {"--ram", *ram}, {"--rom", *rom}} {
		if b.v < 0 || b.v != b.v {
			return fmt.Errorf("tune: %s %v: must be a positive number", b.name, b.v)
		}
	}
	opt.Budget = Budget{LatencyMs: *latency, RAMBytes: int(*ram * 1024), ROMBytes: int(*rom * 1024)}
	mt, err := impulse.ParseModelType(*modelType)
	if err != nil || mt == 0 {
		return fmt.Errorf("tune: --model-type %q: must be int8 or float32", *modelType)
	}
	opt.ModelType = mt
	ds, err := dataset.Load(*data)
	if err != nil {
		return err
	}
	if *start != "" {
		if opt.Start, err = impulse.LoadDefinition(*start); err != nil {
			return err
		}
	}
	if *spaceFile != "" {
		if opt.Space, err = LoadSpace(*spaceFile); err != nil {
			return err
		}
	}
	if *natsURL != "" {
		if dial == nil {
			return fmt.Errorf("tune: --nats: this program cannot reach a fleet of workers: %w", ErrUsage)
		}
		fleet, err := dial(ctx, *natsURL, ds)
		if err != nil {
			return err
		}
		defer fleet.Close()
		slots, err := fleet.Slots(ctx)
		if err != nil {
			return err
		}
		if opt.Workers == 0 {
			if slots == 0 {
				return fmt.Errorf("tune: no worker answers on %s: start some (impulse worker --nats URL) or give --workers to queue the trials for workers to come", *natsURL)
			}
			opt.Workers = slots
		}
		fmt.Fprintf(stderr, "fleet: %d worker slots answer on %s; %d trials at once (--workers %d repeats this search)\n", slots, *natsURL, opt.Workers, opt.Workers)
		opt.Runner = fleet
	}
	opt.Progress = func(p Progress) { fmt.Fprintln(stderr, p.String()) }
	res, serr := Search(ctx, ds, opt)
	if res == nil {
		return serr
	}
	if err := res.WriteTable(stdout); err != nil {
		return err
	}
	if *out != "" {
		if err := res.Save(*out); err != nil {
			return err
		}
	}
	if serr != nil {
		return serr
	}
	if res.Chosen < 0 {
		return fmt.Errorf("tune: no trial completed")
	}
	fmt.Fprintf(stdout, "\nchosen: trial %d: %s\n", res.Chosen, res.Trials[res.Chosen].Description)
	if len(res.Picks) > 0 && res.Picks[0].Model != nil {
		p := res.Picks[0]
		fmt.Fprintf(stdout, "test accuracy %.3f int8, %.3f float32 (%d windows); train it again with --seed %d\n", p.Int8, p.Float32, p.Windows, p.Seed)
	}
	return nil
}

// Save writes the search's results to a folder (see Command).
func (r *Result) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tune: %w", err)
	}
	write := func(name string, v any) error {
		var data []byte
		var err error
		if b, ok := v.([]byte); ok {
			data = b
		} else if data, err = json.MarshalIndent(v, "", "  "); err != nil {
			return fmt.Errorf("tune: %s: %w", name, err)
		}
		return writeFile(filepath.Join(dir, name), data)
	}
	if err := write("trials.json", r.OptimizeState()); err != nil {
		return err
	}
	if err := write("space.json", r.Space); err != nil {
		return err
	}
	var tb strings.Builder
	if err := r.WriteTable(&tb); err != nil {
		return err
	}
	if err := write("trials.txt", []byte(tb.String())); err != nil {
		return err
	}
	if r.Chosen < 0 {
		return nil
	}
	if err := write("impulse.json", r.Trials[r.Chosen].Definition); err != nil {
		return err
	}
	if len(r.Picks) > 0 && r.Picks[0].Model != nil {
		if err := r.Picks[0].Model.Save(filepath.Join(dir, "model")); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes a file through a temporary file in the same folder.
func writeFile(name string, data []byte) error {
	tmp := name + ".tmp-" + fmt.Sprint(time.Now().UnixNano())
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("tune: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("tune: %w", err)
	}
	return nil
}
