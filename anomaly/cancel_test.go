package anomaly

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// countdownCtx is a context that reports Canceled from the n-th call of Err on, which
// cancels a fit part-way through without depending on timing.
type countdownCtx struct {
	context.Context
	left atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestFitsStopWhenCancelled(t *testing.T) {
	x := benchData(2000, 8)
	for _, after := range []int64{0, 1, 5, 20, 40} {
		ctx := &countdownCtx{Context: context.Background()}
		ctx.left.Store(after)
		if _, err := FitKMeans(ctx, KMeansConfig{ClusterCount: 16, Inits: 3}, x, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("K-means cancelled after %d checks: %v", after, err)
		}
		ctx.left.Store(after)
		if _, err := FitGMM(ctx, GMMConfig{ClusterCount: 4, Tolerance: 1e-12}, x, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("GMM cancelled after %d checks: %v", after, err)
		}
	}
}

func TestGMMIterationLimit(t *testing.T) {
	x := benchData(1000, 4)
	g, err := FitGMM(context.Background(), GMMConfig{ClusterCount: 3, MaxIterations: 1, Tolerance: 1e-12}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g.Converged() || g.Iterations() != 1 {
		t.Errorf("1 iteration allowed: converged %v after %d", g.Converged(), g.Iterations())
	}
	km, err := FitKMeans(context.Background(), KMeansConfig{ClusterCount: 8, Inits: 1, MaxIterations: 2}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if km.Iterations() != 2 {
		t.Errorf("K-means: %d iterations with MaxIterations 2", km.Iterations())
	}
}
