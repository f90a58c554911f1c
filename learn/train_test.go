package learn

import (
	"context"
	"testing"
)

func TestTrainDenseBlobs(t *testing.T) {
	t.Parallel()
	d := blobs(600, 33, 4, 1.0, 1)
	cfg := DefaultConfig(Input{Kind: InputFlat, Width: 33})
	var lines []string
	res, err := Train(context.Background(), cfg, Input{Kind: InputFlat, Width: 33}, d, Options{Seed: 3, Progress: func(s EpochStats) { lines = append(lines, s.String()) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Validation) != 120 || len(res.Train) != 480 {
		t.Errorf("split %d/%d, want 480/120", len(res.Train), len(res.Validation))
	}
	last := res.History[len(res.History)-1]
	t.Logf("%s\nbest epoch %d", last, res.BestEpoch)
	if last.ValAccuracy < 0.95 {
		t.Errorf("val accuracy %v, want ≥ 0.95 on separable blobs", last.ValAccuracy)
	}
	if len(lines) != 30 {
		t.Errorf("%d progress calls, want 30", len(lines))
	}
}
