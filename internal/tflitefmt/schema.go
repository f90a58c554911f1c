package tflitefmt

import "github.com/tinyimpulse/tinyimpulse/learn"

// Field slots of the TensorFlow Lite schema (tensorflow/lite/schema/schema.fbs,
// file identifier "TFL3", schema version 3) for the tables this package writes
// and reads. A union field takes two slots: its type, then its value.
const (
	// Model
	ModelVersion        = 0
	ModelOperatorCodes  = 1
	ModelSubgraphs      = 2
	ModelDescription    = 3
	ModelBuffers        = 4
	ModelMetadataBuffer = 5
	ModelMetadata       = 6
	ModelFields         = 7 // metadata_buffer (5) and metadata (6) are the last written

	// SubGraph
	SubGraphTensors   = 0
	SubGraphInputs    = 1
	SubGraphOutputs   = 2
	SubGraphOperators = 3
	SubGraphName      = 4
	SubGraphFields    = 5

	// Buffer
	BufferData   = 0
	BufferFields = 1

	// Metadata
	MetadataName   = 0
	MetadataBuffer = 1
	MetadataFields = 2

	// OperatorCode
	OpCodeDeprecatedBuiltin = 0 // int8
	OpCodeCustom            = 1
	OpCodeVersion           = 2
	OpCodeBuiltin           = 3 // int32
	OpCodeFields            = 4

	// Tensor
	TensorShape          = 0
	TensorType           = 1
	TensorBuffer         = 2
	TensorName           = 3
	TensorQuantization   = 4
	TensorIsVariable     = 5
	TensorSparsity       = 6
	TensorShapeSignature = 7
	TensorFields         = 5

	// QuantizationParameters
	QuantMin       = 0
	QuantMax       = 1
	QuantScale     = 2
	QuantZeroPoint = 3
	QuantDetails   = 4 // union: type 4, value 5
	QuantDimension = 6
	QuantFields    = 7

	// Operator
	OpOpcodeIndex    = 0
	OpInputs         = 1
	OpOutputs        = 2
	OpOptionsType    = 3
	OpOptions        = 4
	OpCustomOptions  = 5
	OpIntermediates  = 8
	OpFields         = 5
	ConvPadding      = 0 // Conv2DOptions
	ConvStrideW      = 1
	ConvStrideH      = 2
	ConvActivation   = 3
	ConvDilationW    = 4
	ConvDilationH    = 5
	ConvFields       = 6
	DWPadding        = 0 // DepthwiseConv2DOptions
	DWStrideW        = 1
	DWStrideH        = 2
	DWMultiplier     = 3
	DWActivation     = 4
	DWDilationW      = 5
	DWDilationH      = 6
	DWFields         = 7
	PoolPadding      = 0 // Pool2DOptions
	PoolStrideW      = 1
	PoolStrideH      = 2
	PoolFilterW      = 3
	PoolFilterH      = 4
	PoolActivation   = 5
	PoolFields       = 6
	FCActivation     = 0 // FullyConnectedOptions
	FCWeightsFormat  = 1
	FCKeepNumDims    = 2
	FCAsymmetricQuan = 3
	FCFields         = 2
	SoftmaxBeta      = 0 // SoftmaxOptions
	SoftmaxFields    = 1
	ReshapeNewShape  = 0 // ReshapeOptions
	ReshapeFields    = 1
)

// Tensor types (enum TensorType).
const (
	TypeFloat32 = 0
	TypeInt32   = 2
	TypeInt8    = 9
)

// Builtin operator codes (enum BuiltinOperator).
const (
	OpConv2D          = 3
	OpDepthwiseConv2D = 4
	OpFullyConnected  = 9
	OpMaxPool2D       = 17
	OpReshape         = 22
	OpSoftmax         = 25
)

// BuiltinOptions union members.
const (
	OptionsNone            = 0
	OptionsConv2D          = 1
	OptionsDepthwiseConv2D = 2
	OptionsPool2D          = 5
	OptionsFullyConnected  = 8
	OptionsSoftmax         = 9
	OptionsReshape         = 17
)

// Enum values of the options.
const (
	PaddingSame    = 0
	PaddingValid   = 1
	ActivationNone = 0
	ActivationReLU = 1
)

// SchemaVersion is Model.version.
const SchemaVersion = 3

// FileIdentifier is the flatbuffer file identifier of a .tflite file.
const FileIdentifier = "TFL3"

// MinRuntimeVersionKey names the metadata entry that holds the oldest
// TensorFlow Lite runtime able to run the model, as the converter writes it:
// the version string, NUL-padded to 16 bytes.
const MinRuntimeVersionKey = "min_runtime_version"

// LabelsKey names the metadata entry in which this package keeps the kind
// of network and its class names (see Labels).
const LabelsKey = "tinyimpulse_labels"

// OpInfo describes how one of the graph's operator kinds is written.
type OpInfo struct {
	Code    int32
	Options byte
	// Version is the operator version the TensorFlow Lite converter gives the
	// operator for float32 and for int8 tensors (tools/versioning/op_version.cc):
	// int8 FULLY_CONNECTED is version 4, int8 CONV_2D and DEPTHWISE_CONV_2D
	// version 3, int8 MAX_POOL_2D and SOFTMAX version 2.
	Float32Version, Int8Version int32
	// Runtime is the TensorFlow Lite release that introduced the float32 and
	// int8 versions (tools/versioning/runtime_version.cc).
	Float32Runtime, Int8Runtime string
}

// Ops maps the graph's operator kinds to their codes.
var Ops = map[learn.OpKind]OpInfo{
	learn.OpFullyConnected:  {OpFullyConnected, OptionsFullyConnected, 1, 4, "1.5.0", "1.14.0"},
	learn.OpConv2D:          {OpConv2D, OptionsConv2D, 1, 3, "1.5.0", "1.14.0"},
	learn.OpDepthwiseConv2D: {OpDepthwiseConv2D, OptionsDepthwiseConv2D, 1, 3, "1.5.0", "1.14.0"},
	learn.OpMaxPool2D:       {OpMaxPool2D, OptionsPool2D, 1, 2, "1.5.0", "1.14.0"},
	learn.OpReshape:         {OpReshape, OptionsReshape, 1, 1, "1.5.0", "1.5.0"},
	learn.OpSoftmax:         {OpSoftmax, OptionsSoftmax, 1, 2, "1.5.0", "1.14.0"},
}
