package run

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// jobLog is the beginning of a training job's log as impulse.Train sends
// it, one event per log line and one per epoch, the epochs with their
// figures.
var jobLog = []studio.Event{
	{Type: studio.EventData, Data: "Job started\n"},
	{Type: studio.EventData, Data: "Generating features OK (544 windows)\n"},
	{Type: studio.EventData, Data: "\n"},
	epochEvent(learn.EpochStats{Epoch: 1, Epochs: 30, Steps: 14, Loss: 1.6677, Accuracy: 0.2506, ValLoss: 1.2671, ValAccuracy: 0.3303}),
	epochEvent(learn.EpochStats{Epoch: 2, Epochs: 30, Steps: 14, Loss: 1.1580, Accuracy: 0.5080, ValLoss: 0.8948, ValAccuracy: 0.7523}),
	{Type: studio.EventData, Data: "Saving best performing model... (based on validation loss; epoch 2)\n"},
	{Type: studio.EventFinished, Success: true},
}

func epochEvent(s learn.EpochStats) studio.Event {
	return studio.Event{Type: studio.EventData, Data: s.String(), Progress: &studio.Progress{Phase: studio.PhaseTraining, Epoch: &s}}
}

func TestProgressPlain(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, false)
	for _, e := range jobLog {
		p.event(e)
	}
	p.done()
	want := `Job started
Generating features OK (544 windows)
Epoch 1/30  loss 1.6677  acc 0.2506  val_loss 1.2671  val_acc 0.3303
Epoch 2/30  loss 1.1580  acc 0.5080  val_loss 0.8948  val_acc 0.7523
Saving best performing model... (based on validation loss; epoch 2)
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestProgressTerminal(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, true)
	p.event(studio.Event{Type: studio.EventData, Data: "Generating features OK (544 windows)\n"})
	p.event(studio.Event{Type: studio.EventData, Data: "Job done\n"})
	long := strings.Repeat("x", 100)
	p.event(studio.Event{Type: studio.EventData, Data: long + "\n"})
	p.done()
	// The shorter line is padded over the longer one; the long one is cut
	// to 79 columns; done blanks the last one and returns to the start.
	want := "\rGenerating features OK (544 windows)" +
		"\rJob done" + strings.Repeat(" ", 36-8) +
		"\r" + strings.Repeat("x", 78) + "…" +
		"\r" + strings.Repeat(" ", 79) + "\r"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
	if strings.Contains(b.String(), "\n") {
		t.Error("the terminal progress wrote a newline")
	}
}

func TestWrap(t *testing.T) {
	got := wrap("  key  ", strings.Repeat("word ", 20))
	lines := strings.Split(got, "\n")
	if len(lines) != 2 || lines[0] != "  key  "+strings.TrimSpace(strings.Repeat("word ", 14)) ||
		lines[1] != "       "+strings.TrimSpace(strings.Repeat("word ", 6)) {
		t.Errorf("got\n%s", got)
	}
}

func TestNormalOnly(t *testing.T) {
	ds := &dataset.Dataset{Dir: "d", Samples: []*dataset.Sample{
		{ID: 1, Category: dataset.CategoryTraining, Label: "ok"},
		{ID: 2, Category: dataset.CategoryTraining, Label: "worn"},
		{ID: 3, Category: dataset.CategoryTesting, Label: "ok"},
		{ID: 4, Category: dataset.CategoryTesting, Label: "worn"},
	}}
	got, err := normalOnly(ds, "ok")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ category, label string }{
		{dataset.CategoryTraining, "ok"}, {dataset.CategorySplit, "worn"},
		{dataset.CategoryTesting, "ok"}, {dataset.CategoryTesting, "anomaly"},
	}
	for i, s := range got.Samples {
		if s.ID != i+1 || s.Category != want[i].category || s.Label != want[i].label {
			t.Errorf("sample %d: id %d, %s %q; want %s %q", i, s.ID, s.Category, s.Label, want[i].category, want[i].label)
		}
	}
	if ds.Samples[1].Category != dataset.CategoryTraining || ds.Samples[3].Label != "worn" {
		t.Error("normalOnly changed the original dataset")
	}
	if _, err := normalOnly(ds, "new"); err == nil || !strings.Contains(err.Error(), `"new"`) {
		t.Errorf("error %v for a label no training sample has", err)
	}
}

// TestRunErrors checks that bad flags give errors naming what is wrong.
func TestRunErrors(t *testing.T) {
	ex := Example{Name: "gestures", Title: "Gestures", Definition: "testdata/impulses/gestures.json", Data: "testdata/gestures"}
	missing := filepath.Join(t.TempDir(), "nowhere")
	cases := []struct {
		name string
		opt  Options
		want string
	}{
		{"missing dataset", Options{Data: missing, Out: "-"}, "nowhere"},
		{"missing definition", Options{Impulse: missing + ".json", Out: "-"}, "nowhere.json"},
		{"unknown target", Options{Target: "abacus", Out: "-"}, "abacus"},
		{"unknown normal label", Options{Normal: "quiet", Out: "-"}, `"quiet"`},
	}
	for _, c := range cases {
		_, err := Run(context.Background(), ex, c.opt, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %s", c.name, err, c.want)
		}
	}

	// A folder that holds something other than a saved model is not
	// overwritten.
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	if _, err := Run(context.Background(), ex, Options{Out: out}, io.Discard); err == nil {
		t.Error("Run overwrote a folder that holds no saved model")
	}
	if data, err := os.ReadFile(filepath.Join(out, "notes.txt")); err != nil || string(data) != "mine" {
		t.Errorf("notes.txt: %q, %v", data, err)
	}
}

// TestRunCancelled checks that a cancelled context stops the job with the
// context's error.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ex := Example{Name: "gestures", Title: "Gestures", Definition: "testdata/impulses/gestures.json", Data: "testdata/gestures"}
	if _, err := Run(ctx, ex, Options{Out: "-"}, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
