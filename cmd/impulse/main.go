// Command impulse is tinyimpulse's command-line tool: the face of the
// library for platform workers and scripts.
//
// Usage:
//
//	impulse features < request.json
//
// features reads one processing-block call as JSON on standard input, in
// the format of Edge Impulse's DSP reference vectors (block,
// implementation_version, params, sampling_freq, axes, input), and writes
// {"features": [...], "output_shape": {...}, "labels": [...]} to standard
// output.
//
// Errors in the input or configuration exit with status 1 and one line
// "impulse: <what is wrong>" on standard error; usage errors exit with
// status 2.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// usageError marks errors in how the command was invoked (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: impulse <command> [arguments]

commands:
  features    compute one processing block's features (JSON on stdin)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(args, stdin, stdout)
	if err == nil {
		return 0
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(stderr, "impulse: %s\n", msg)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprint(stderr, usage)
		return 2
	}
	return 1
}

func dispatch(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	switch args[0] {
	case "features":
		return features(args[1:], stdin, stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
