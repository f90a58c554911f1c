// Command impulse is tinyimpulse's command-line tool: the face of the
// library for platform workers and scripts.
//
// Usage:
//
//	impulse features < request.json
//	impulse train --impulse FILE --data DIR --out DIR [--seed N] [--json-progress] [--target ID]
//	impulse test --model DIR --data DIR [--json FILE]
//	impulse classify --model DIR FILE...
//	impulse estimate --model DIR [--target ID] [--json]
//	impulse export --model DIR --format tflite [--variant int8|float32] [--learn-block ID] --out FILE
//	impulse export --model DIR --format c [--variant int8|float32] [--data DIR] [--name NAME] --out FILE.zip
//	impulse tune --data DIR [--impulse FILE] [--space FILE] [--target ID] [--latency-ms N] [--ram KB] [--rom KB] [--trials N] [--time 5m] [--seed N] [--workers N] [--nats URL] [--rotation DEG] [--out DIR]
//	impulse report --model DIR --data DIR --out FILE.html [--target ID]
//	impulse serve --data-dir DIR [--nats URL] [--addr :4800] [--admin-key KEY] [--workers N]
//	impulse worker --nats URL[,URL...] [--concurrency N] [--threads N] [--name NAME]
//
// features reads one processing-block call as JSON on standard input, in
// the format of Edge Impulse's DSP reference vectors (block,
// implementation_version, params, sampling_freq, axes, input), and writes
// {"features": [...], "output_shape": {...}, "labels": [...]} to standard
// output.
//
// train trains every learn block of the impulse on the dataset's training
// samples and writes the trained impulse to the --out folder, with Studio's
// impulses-detailed response in impulses-detailed.json. Progress goes to
// standard error as Studio's training log, or with --json-progress as one
// JSON event per line ({"event":"job-data",...}, then
// {"event":"job-finished",...}). SIGINT or SIGTERM cancels the job: it
// prints "Terminated by user", exits with status 1 and leaves the --out
// folder as it was.
//
// test runs model testing on the dataset's testing samples and prints the
// summary table; --json writes Studio's ClassifyJobResponse. classify prints
// one JSON line per window of each sample file. estimate prints the
// on-device latency, RAM and ROM of every block.
//
// export writes a trained network as a TensorFlow Lite flatbuffer (the
// int8 file is the very model the library evaluates as "int8"), or with
// --format c the whole impulse as a C99 library in a zip (run_classifier,
// a Makefile, CMakeLists.txt, an example program and the Arduino layout).
// tune searches impulses for the dataset under a device budget, as Studio's
// EON Tuner does, and writes the chosen one (see package tune).
//
// report writes the HTML report of a saved model (impulse train writes
// report.html beside the model too). serve runs the worker service: Edge
// Impulse's jobs API and WebSocket and TwinEdge's ML API, on NATS JetStream
// (embedded, with its files in --data-dir, or the cluster at --nats); the
// admin key comes from --admin-key or $TINYIMPULSE_ADMIN_KEY. worker
// runs the service's jobs on another machine: it pulls them from the work
// queue of the NATS cluster the API servers use (impulse serve --nats),
// needs no shared disk, and gives its jobs back to the queue when stopped.
//
// Errors in the input or configuration exit with status 1 and one line
// "impulse: <what is wrong>" on standard error; usage errors exit with
// status 2.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tinyimpulse/tinyimpulse/service"
	"github.com/tinyimpulse/tinyimpulse/tune"
)

// usageError marks errors in how the command was invoked (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: impulse <command> [arguments]

commands:
  features    compute one processing block's features (JSON on stdin)
  train       train an impulse: --impulse FILE --data DIR --out DIR [--seed N] [--json-progress]
  test        model testing: --model DIR --data DIR [--json FILE]
  classify    classify sample files: --model DIR FILE...
  estimate    on-device estimates: --model DIR [--target ID|list] [--json]
  export      a network as .tflite or the impulse as a C library: --model DIR --format tflite|c [--variant int8|float32] --out FILE
  tune        search impulses under a device budget: --data DIR [--target ID] [--latency-ms N] [--ram KB] [--rom KB] [--trials N] [--time 5m] [--nats URL] [--out DIR]
  report      the HTML report of a model: --model DIR --data DIR --out FILE.html [--target ID]
  serve       the worker service: --data-dir DIR [--nats URL] [--addr :4800] [--admin-key KEY] [--workers N]
  worker      run the service's jobs: --nats URL[,URL...] [--concurrency N]
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(args, stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	if errors.Is(err, errTerminated) {
		// The job's log has said "Terminated by user".
		return 1
	}
	// Package errors carry their package's prefix; "impulse: impulse: ..."
	// would say it twice.
	msg := strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", " "), "impulse: ")
	fmt.Fprintf(stderr, "impulse: %s\n", msg)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprint(stderr, usage)
		return 2
	}
	return 1
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	switch args[0] {
	case "features":
		return features(args[1:], stdin, stdout)
	case "train":
		return train(args[1:], stdout, stderr)
	case "test":
		return test(args[1:], stdout)
	case "classify":
		return classify(args[1:], stdout)
	case "estimate":
		return estimate(args[1:], stdout)
	case "report":
		return reportCmd(args[1:], stdout)
	case "export":
		return export(args[1:], stdout)
	case "tune":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err := tune.CommandFleet(ctx, args[1:], stdout, stderr, service.DialTrials)
		if errors.Is(err, tune.ErrUsage) {
			return usageError{err.Error()}
		}
		return err
	case "serve":
		return serve(args[1:])
	case "worker":
		return worker(args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
