package tflitetest

import (
	"errors"
	"testing"
)

// TestOpen installs the harness (CI runs this test first, so that the
// packages' tests find it in place) and checks that it runs TensorFlow
// Lite 2.9.0, computes the C library's expf and reports a refused model as
// a RefusedError.
func TestOpen(t *testing.T) {
	rt, err := Open()
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("npm or cc is missing, so TensorFlow Lite cannot be installed: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	y, err := rt.Expf([]float32{0, -1})
	if err != nil || len(y) != 2 || y[0] != 1 || y[1] != 0.36787945 {
		t.Errorf("expf(0), expf(-1) = %v, %v; want 1, 0.36787945", y, err)
	}
	_, err = rt.Run([]byte("not a model"), nil)
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Errorf("a file that is no model: error %v, want a RefusedError", err)
	}
	t.Logf("TensorFlow Lite %s at %s", Version, rt.Dir)
}
