package learn

import (
	"fmt"
	"strings"
	"testing"
)

// TestOpsKWS checks the op list of Studio's default MFCC network against hand-derived
// shapes and MACs: conv1d 8 over 50×13 = 50·8·3·13 = 15,600 MACs, conv1d 16 over
// 25×8 = 25·16·3·8 = 9,600, dense 208·4 = 832.
func TestOpsKWS(t *testing.T) {
	t.Parallel()
	in := Input{Kind: InputMFCC, Width: 50, Height: 13}
	n, err := build(DefaultConfig(in), in, 4, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range n.Ops() {
		got = append(got, fmt.Sprintf("%s %v->%v k%dx%d s%d macs %d w%d b%d %s", op.Kind, op.Input, op.Output, op.KernelH, op.KernelW, op.StrideW, op.MACs, op.WeightBytes, op.BiasBytes, op.Activation))
	}
	want := []string{
		"RESHAPE [1 650]->[1 1 50 13] k0x0 s0 macs 0 w0 b0 NONE",
		"CONV_2D [1 1 50 13]->[1 1 50 8] k1x3 s1 macs 15600 w1248 b32 RELU",
		"MAX_POOL_2D [1 1 50 8]->[1 1 25 8] k1x2 s2 macs 0 w0 b0 NONE",
		"CONV_2D [1 1 25 8]->[1 1 25 16] k1x3 s1 macs 9600 w1536 b64 RELU",
		"MAX_POOL_2D [1 1 25 16]->[1 1 13 16] k1x2 s2 macs 0 w0 b0 NONE",
		"RESHAPE [1 1 13 16]->[1 208] k0x0 s0 macs 0 w0 b0 NONE",
		"FULLY_CONNECTED [1 208]->[1 4] k0x0 s0 macs 832 w3328 b16 NONE",
		"SOFTMAX [1 4]->[1 4] k0x0 s0 macs 0 w0 b0 NONE",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	layers := n.KerasLayers()
	var names []string
	for _, l := range layers {
		names = append(names, fmt.Sprintf("%s:%d->%s:%d", l.Input.Name, l.Input.Shape, l.Output.Name, l.Output.Shape))
	}
	wantL := "x_input:650->reshape:50 reshape:50->conv1d:50 conv1d:50->max_pooling1d:25 max_pooling1d:25->dropout:25 dropout:25->conv1d_1:25 " +
		"conv1d_1:25->max_pooling1d_1:13 max_pooling1d_1:13->dropout_1:13 dropout_1:13->flatten:208 flatten:208->y_pred:4"
	if strings.Join(names, " ") != wantL {
		t.Errorf("layers: %s\nwant     %s", strings.Join(names, " "), wantL)
	}
}

// TestOpsInt8: the int8 network lists the float network's operators with int8
// data (1-byte weights, per-channel scales for convolutions, one scale for
// dense layers), before and after saving.
func TestOpsInt8(t *testing.T) {
	t.Parallel()
	net, q, _ := trainedPair(t)
	b, err := q.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	q2, err := UnmarshalInt8Network(b)
	if err != nil {
		t.Fatal(err)
	}
	fo, qo := net.Ops(), q.Ops()
	if len(fo) != len(qo) {
		t.Fatalf("%d int8 ops, %d float32 ops", len(qo), len(fo))
	}
	for i, f := range fo {
		want := f
		want.DType, want.WeightBytes = "int8", f.WeightBytes/4
		if f.WeightBytes > 0 && f.Kind != "MUL" && f.Kind != "ADD" {
			want.Channels = f.Output[len(f.Output)-1]
			if f.Kind == "FULLY_CONNECTED" {
				want.Channels = 1 // one scale for the whole kernel
			}
		}
		if got := qo[i]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("op %d: %+v, want %+v", i, got, want)
		}
	}
	if fmt.Sprint(q2.Ops()) != fmt.Sprint(qo) {
		t.Errorf("ops after loading:\n%+v\nbefore:\n%+v", q2.Ops(), qo)
	}
}
