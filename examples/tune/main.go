// Command tune runs the tuner (package tune) as `impulse tune` will:
//
//	go run ./examples/tune                       # testdata/gestures, 8 trials
//	go run ./examples/tune -- --data ../shared/datasets/gestures-magic-wand --time 5m \
//	    --target cortex-m4f-80mhz --latency-ms 100 --ram 64 --rom 256 --out /tmp/wand
//
// With no arguments it searches the project's synthetic gestures for 8
// trials. SIGINT stops the search and prints what finished.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tinyimpulse/tinyimpulse/tune"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		args = []string{"--data", "testdata/gestures", "--trials", "8"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := tune.Command(ctx, args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "impulse:", err)
		if errors.Is(err, tune.ErrUsage) {
			fmt.Fprint(os.Stderr, tune.CommandUsage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}
