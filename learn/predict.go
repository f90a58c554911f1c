package learn

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Predictor is a network that classifies one window at a time: [*Network] and
// [*Int8Network].
type Predictor interface {
	Classify(dst, x []float64) ([]float64, error)
	Features() int
	Outputs() int
}

// Predict runs p on the rows of X (all rows when rows is nil) and returns one row
// of outputs per window: softmax probabilities (de-quantised for int8) or the
// regression value. It checks ctx every 256 windows.
func Predict(ctx context.Context, p Predictor, X mat.Matrix, rows []int) (*mat.Dense, error) {
	rows, err := selectRows(X, p.Features(), rows)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("learn: no windows to predict")
	}
	_, c := X.Dims()
	out := mat.NewDense(len(rows), p.Outputs(), nil)
	x := make([]float64, c)
	done := ctx.Done()
	for i, ri := range rows {
		if i%256 == 0 {
			select {
			case <-done:
				return nil, fmt.Errorf("learn: prediction cancelled: %w", ctx.Err())
			default:
			}
		}
		if d, ok := X.(mat.RawRowViewer); ok {
			x = d.RawRowView(ri)
		} else {
			x = x[:c]
			mat.Row(x, ri, X)
		}
		if _, err := p.Classify(out.RawRowView(i), x); err != nil {
			return nil, fmt.Errorf("learn: window %d: %w", ri, err)
		}
	}
	return out, nil
}

// selectRows checks that X has one column per feature and returns rows, each
// checked to be a row of X, or all of X's rows when rows is nil.
func selectRows(X mat.Matrix, features int, rows []int) ([]int, error) {
	r, c := X.Dims()
	if c != features {
		return nil, fmt.Errorf("%w: matrix has %d columns, network takes %d", ErrShape, c, features)
	}
	if rows == nil {
		rows = make([]int, r)
		for i := range rows {
			rows[i] = i
		}
	}
	for _, ri := range rows {
		if ri < 0 || ri >= r {
			return nil, fmt.Errorf("learn: row %d out of range [0, %d)", ri, r)
		}
	}
	return rows, nil
}
