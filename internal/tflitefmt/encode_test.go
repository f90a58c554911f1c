package tflitefmt

import (
	"testing"

	"github.com/tinyimpulse/tinyimpulse/learn"
)

// TestHelpers checks the metadata helpers on hand-built graphs: the oldest
// runtime is the newest of the operators' (runtime_version.cc), the labels
// entry starts with the network's kind, and Size is the file's length.
func TestHelpers(t *testing.T) {
	g := &learn.Graph{DType: learn.Float32, Ops: []learn.Operator{{Kind: learn.OpReshape}, {Kind: learn.OpSoftmax}}, Labels: []string{"a", "b"}}
	if v := MinRuntimeVersion(g); v != "1.5.0" {
		t.Errorf("float32: %s, want 1.5.0", v)
	}
	g.DType = learn.Int8
	if v := MinRuntimeVersion(g); v != "1.14.0" {
		t.Errorf("int8 softmax: %s, want 1.14.0", v)
	}
	for _, c := range []struct{ a, b string }{{"1.5.0", "1.14.0"}, {"1.14.0", "2.3.0"}, {"2.3", "2.3.0"}} {
		if !versionLess(c.a, c.b) || versionLess(c.b, c.a) {
			t.Errorf("versionLess(%s, %s) is not the release order", c.a, c.b)
		}
	}
	if l := Labels(g); l != "classification\na\nb" {
		t.Errorf("labels %q", l)
	}
	g.Regression, g.Labels = true, []string{"value"}
	if l := Labels(g); l != "regression\nvalue" {
		t.Errorf("labels %q", l)
	}
	if _, err := Size(g); err == nil {
		t.Error("a graph of operators without tensors has a size")
	}
}
