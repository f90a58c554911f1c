package learn

// LayerInfo is one entry of KerasModelMetadata.layers: the input and output of a
// Keras layer.
type LayerInfo struct {
	Input  TensorInfo `json:"input"`
	Output TensorInfo `json:"output"`
}

// TensorInfo describes a Keras tensor: Shape is the size of its first non-batch
// dimension, Name the tensor's name, Type its dtype as TensorFlow prints it.
type TensorInfo struct {
	Shape int    `json:"shape"`
	Name  string `json:"name"`
	Type  string `json:"type"`
}

// KerasLayers returns the KerasModelMetadata.layers entries: one per Keras layer
// (dropout, reshape and pooling layers included), the input named "x_input" as in
// Studio's generated scripts and every output named after its layer.
func (n *Network) KerasLayers() []LayerInfo {
	const dtype = "<dtype: 'float32'>"
	prev := TensorInfo{Name: "x_input", Type: dtype}
	var out []LayerInfo
	for i := range n.layers {
		l := &n.layers[i]
		prev.Shape = l.in.dims()[0]
		cur := TensorInfo{Shape: l.out.dims()[0], Name: l.name, Type: dtype}
		out = append(out, LayerInfo{Input: prev, Output: cur})
		prev = cur
	}
	return out
}
