package impulse_test

import (
	"context"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// TestHistory checks Model.History against the job's own log (Studio's
// "Epoch n/N … loss … val_accuracy" lines, printed as training went), that
// the best epoch is the one with the lowest validation loss, and that the
// history survives Save and LoadModel.
func TestHistory(t *testing.T) {
	def, ds := gestures(t)
	var log strings.Builder
	m, err := compileTrain(context.Background(), def, ds, impulse.TrainOptions{Seed: 5, Created: trainTime,
		Events: func(e studio.Event) { log.WriteString(e.Data) }})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.History(3)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`Epoch (\d+)/30\n\d+/\d+ - \d+s - loss: ([0-9.]+) - accuracy: ([0-9.]+) - val_loss: ([0-9.]+) - val_accuracy: ([0-9.]+)`)
	logged := line.FindAllStringSubmatch(log.String(), -1)
	if len(logged) != 30 || len(h) != 30 {
		t.Fatalf("%d epochs in the log, %d in the history, want 30", len(logged), len(h))
	}
	best := 0
	for i, e := range h {
		want := logged[i]
		if e.Epoch != i+1 || strconv.Itoa(e.Epoch) != want[1] {
			t.Errorf("history[%d].Epoch = %d, log says %s", i, e.Epoch, want[1])
		}
		for j, v := range []float64{e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy} {
			if got := strconv.FormatFloat(v, 'f', 4, 64); got != want[j+2] {
				t.Errorf("epoch %d figure %d: history %s, log %s", i+1, j, got, want[j+2])
			}
		}
		if e.ValLoss < h[best].ValLoss {
			best = i
		}
	}
	if be, _ := m.BestEpoch(3); be != best+1 {
		t.Errorf("BestEpoch %d, lowest val_loss at epoch %d", be, best+1)
	}

	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	l, err := impulse.LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	lh, err := l.History(3)
	if err != nil || len(lh) != len(h) {
		t.Fatalf("loaded history: %d epochs, %v", len(lh), err)
	}
	for i := range h {
		a, b := h[i], lh[i]
		if a.Epoch != b.Epoch || a.Epochs != b.Epochs || a.Steps != b.Steps || a.Loss != b.Loss || a.Accuracy != b.Accuracy ||
			a.ValLoss != b.ValLoss || a.ValAccuracy != b.ValAccuracy {
			t.Errorf("epoch %d: saved %+v, loaded %+v", i+1, a, b)
		}
	}
	if _, err := m.History(4); err == nil {
		t.Error("History of the anomaly block: no error")
	}
	if math.IsNaN(h[0].Loss) {
		t.Error("loss is NaN")
	}
}
