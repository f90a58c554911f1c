package tune

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/testenv"
)

// TestCommand runs `impulse tune` on testdata/gestures with a small space
// and checks its output and files.
func TestCommand(t *testing.T) {
	dir := t.TempDir()
	space := filepath.Join(dir, "space.json")
	if err := os.WriteFile(space, []byte(tinySpace), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	err := Command(context.Background(), []string{"--data", testenv.Testdata("gestures"), "--space", space, "--trials", "6",
		"--seed", "2", "--latency-ms", "100", "--ram", "64", "--rom", "256", "--target", "cortex-m4f-80mhz", "--out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if n := strings.Count(stderr.String(), "\n"); n != 6 {
		t.Errorf("%d progress lines, want 6:\n%s", n, stderr.String())
	}
	for _, want := range []string{"Trials (validation", "Pareto front", "Picks trained", "chosen: trial"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if _, err := impulse.LoadDefinition(filepath.Join(out, "impulse.json")); err != nil {
		t.Error(err)
	}
	if _, err := impulse.LoadModel(filepath.Join(out, "model")); err != nil {
		t.Error(err)
	}
}

// TestCommandErrors checks the command's errors: usage errors wrap
// ErrUsage, bad values name the flag or file.
func TestCommandErrors(t *testing.T) {
	gest := testenv.Testdata("gestures")
	dir := t.TempDir()
	badSpace := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badSpace, []byte(`[]`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args  []string
		usage bool
		want  string
	}{
		{nil, true, "--data is required"},
		{[]string{"--data"}, true, "flag needs an argument"},
		{[]string{"--data", gest, "--bogus"}, true, "not defined: -bogus"},
		{[]string{"--data", gest, "extra"}, true, `unexpected argument "extra"`},
		{[]string{"--data", gest, "--trials", "x"}, true, "invalid value"},
		{[]string{"--data", gest, "--model-type", "int4"}, false, `--model-type "int4"`},
		{[]string{"--data", gest, "--ram", "-1"}, false, "--ram -1"},
		{[]string{"--data", filepath.Join(dir, "none")}, false, "none"},
		{[]string{"--data", gest, "--impulse", filepath.Join(dir, "none.json")}, false, "none.json"},
		{[]string{"--data", gest, "--space", badSpace}, false, "bad.json: the search space is empty"},
		{[]string{"--data", gest, "--target", "cortex-z9"}, false, "cortex-z9"},
		{[]string{"--data", gest, "--space", badSpace, "--latency-ms", "0.001"}, false, "empty"},
		{[]string{"--data", gest, "--nats", "nats://127.0.0.1:1"}, true, "--nats: this program cannot reach a fleet"},
		{[]string{"--data", gest, "--rotation", "200"}, false, "--rotation 200"},
		{[]string{"--data", gest, "--rotation", "NaN"}, false, "--rotation NaN"},
		{[]string{"--data", testenv.Testdata("keywords"), "--rotation", "30"}, false, "no 3-axis sensor"},
	}
	for _, c := range cases {
		err := Command(context.Background(), c.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Errorf("%q: no error", c.args)
			continue
		}
		if errors.Is(err, ErrUsage) != c.usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q (usage %v), want %q (usage %v)", c.args, err, errors.Is(err, ErrUsage), c.want, c.usage)
		}
	}
}
