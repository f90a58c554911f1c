package dsp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Processing block types, by their Edge Impulse names.
const (
	TypeRaw         = "raw"
	TypeFlatten     = "flatten"
	TypeImage       = "image"
	TypeSpectral    = "spectral-analysis"
	TypeSpectrogram = "spectrogram"
	TypeMFE         = "mfe"
	TypeMFCC        = "mfcc"
)

// BlockTypes lists the processing block types this package implements, by
// their Edge Impulse type names.
var BlockTypes = []string{TypeRaw, TypeFlatten, TypeImage, TypeSpectral, TypeSpectrogram, TypeMFE, TypeMFCC}

// FeatureKind says what a block's features are, which decides how a
// network reads them.
type FeatureKind int

// Feature kinds.
const (
	// FeaturesFlat is a vector of independent features (raw, flatten,
	// spectral analysis).
	FeaturesFlat FeatureKind = iota
	// FeaturesCepstrum is frames of cepstral coefficients (MFCC).
	FeaturesCepstrum
	// FeaturesMel is frames of mel filterbank energies (MFE).
	FeaturesMel
	// FeaturesSpectrogram is frames of spectrogram bins (spectrogram).
	FeaturesSpectrogram
	// FeaturesImage is an image, height × width × channels (image).
	FeaturesImage
)

// Info describes a processing block type as Studio lists it.
type Info struct {
	// Type is the Edge Impulse type name, e.g. TypeMFCC.
	Type string
	// Name and Title are the block's default name and title in an impulse
	// ("Spectral features", "Spectral Analysis").
	Name, Title string
	// LatestVersion is the implementation version Studio gives new
	// impulses.
	LatestVersion int
	// Features says what the block's features are.
	Features FeatureKind
	// Params lists the block's parameters as Studio shows them, in its
	// groups and order (the block's parameters.json).
	Params []Param
}

// Param describes one parameter of a processing block as Studio lists it:
// its group, display name, parameters.json name, type ("float", "int",
// "boolean", "select", "string"), options, the implementation versions that
// show it and its visibility condition. Defaults come from the block's
// Default…Config function.
type Param struct {
	Group, Name, Param, Type string
	// Options are the choices of a "select" parameter.
	Options []string
	// Versions lists the implementation versions that show the parameter:
	// nil means every version, empty none.
	Versions []int
	// ShowIf, when not nil, shows the parameter only when another
	// parameter has (or has not) a value.
	ShowIf *ShowIf
	// Optional reports a parameter that may be left empty.
	Optional bool
}

// Shown reports whether the parameter is shown for an implementation
// version.
func (p *Param) Shown(version int) bool {
	return p.Versions == nil || slices.Contains(p.Versions, version)
}

// ShowIf is Studio's visibility condition of a parameter: shown when
// Parameter's value is (Operator "eq") or is not ("neq") Value.
type ShowIf struct {
	Parameter string `json:"parameter"`
	Operator  string `json:"operator"`
	Value     string `json:"value"`
}

var (
	showIfFilter  = &ShowIf{Parameter: "filter-type", Operator: "neq", Value: "none"}
	showIfFFT     = &ShowIf{Parameter: "analysis-type", Operator: "eq", Value: "FFT"}
	showIfWavelet = &ShowIf{Parameter: "analysis-type", Operator: "eq", Value: "Wavelet"}
)

// infos is the table of block types, in BlockTypes order.
var infos = []Info{
	{Type: TypeRaw, Name: "Raw data", Title: "Raw Data", LatestVersion: 1, Params: []Param{
		{Group: "Scaling", Name: "Scale axes", Param: "scale-axes", Type: "float"},
	}},
	{Type: TypeFlatten, Name: "Flatten", Title: "Flatten", LatestVersion: 1, Params: []Param{
		{Group: "Scaling", Name: "Scale axes", Param: "scale-axes", Type: "float"},
		{Group: "Method", Name: "Average", Param: "average", Type: "boolean"},
		{Group: "Method", Name: "Minimum", Param: "minimum", Type: "boolean"},
		{Group: "Method", Name: "Maximum", Param: "maximum", Type: "boolean"},
		{Group: "Method", Name: "Root-mean square", Param: "rms", Type: "boolean"},
		{Group: "Method", Name: "Standard deviation", Param: "stdev", Type: "boolean"},
		{Group: "Method", Name: "Skewness", Param: "skewness", Type: "boolean"},
		{Group: "Method", Name: "Kurtosis", Param: "kurtosis", Type: "boolean"},
	}},
	{Type: TypeImage, Name: "Image", Title: "Image", LatestVersion: 1, Features: FeaturesImage, Params: []Param{
		{Group: "Image", Name: "Color depth", Param: "channels", Type: "select", Options: []string{"RGB", "Grayscale"}},
	}},
	{Type: TypeSpectral, Name: "Spectral features", Title: "Spectral Analysis", LatestVersion: 4, Params: []Param{
		{Group: "Filter", Name: "Scale axes", Param: "scale-axes", Type: "float"},
		{Group: "Filter", Name: "Input decimation ratio", Param: "input-decimation-ratio", Type: "select",
			Options: []string{"1", "3", "10", "30", "100", "1000"}, Versions: []int{4}},
		{Group: "Filter", Name: "Type", Param: "filter-type", Type: "select", Options: []string{"low", "high", "none"}},
		{Group: "Filter", Name: "Cut-off frequency", Param: "filter-cutoff", Type: "float", ShowIf: showIfFilter},
		{Group: "Filter", Name: "Order", Param: "filter-order", Type: "int", ShowIf: showIfFilter},
		{Group: "Analysis", Name: "Type", Param: "analysis-type", Type: "select", Options: []string{"FFT", "Wavelet"}, Versions: []int{3, 4}},
		{Group: "Analysis", Name: "FFT length", Param: "fft-length", Type: "int", ShowIf: showIfFFT},
		{Group: "Analysis", Name: "No. of peaks", Param: "spectral-peaks-count", Type: "int", Versions: []int{1}},
		{Group: "Analysis", Name: "Peaks threshold", Param: "spectral-peaks-threshold", Type: "float", Versions: []int{1}},
		{Group: "Analysis", Name: "Power edges", Param: "spectral-power-edges", Type: "string", Versions: []int{1}},
		{Group: "Analysis", Name: "Take log of spectrum?", Param: "do-log", Type: "boolean", Versions: []int{2, 3, 4}, ShowIf: showIfFFT},
		{Group: "Analysis", Name: "Overlap FFT frames?", Param: "do-fft-overlap", Type: "boolean", Versions: []int{2, 3, 4}, ShowIf: showIfFFT},
		{Group: "Analysis", Name: "Wavelet Decomposition Level", Param: "wavelet-level", Type: "int", Versions: []int{3, 4}, ShowIf: showIfWavelet},
		{Group: "Analysis", Name: "Wavelet", Param: "wavelet", Type: "select", Versions: []int{3, 4}, ShowIf: showIfWavelet},
		{Group: "Analysis", Name: "Improve low frequency resolution?", Param: "extra-low-freq", Type: "boolean", Versions: []int{4}, ShowIf: showIfFFT},
	}},
	{Type: TypeSpectrogram, Name: "Spectrogram", Title: "Spectrogram", LatestVersion: 4, Features: FeaturesSpectrogram, Params: []Param{
		{Group: "Spectrogram", Name: "Frame length", Param: "frame_length", Type: "float"},
		{Group: "Spectrogram", Name: "Frame stride", Param: "frame_stride", Type: "float"},
		{Group: "Spectrogram", Name: "FFT length", Param: "fft_length", Type: "int"},
		{Group: "Normalization", Name: "Noise floor (dB)", Param: "noise_floor_db", Type: "int", Versions: []int{3, 4}},
		{Group: "Normalization", Name: "Show axes", Param: "show_axes", Type: "boolean", Versions: []int{}},
	}},
	{Type: TypeMFE, Name: "MFE", Title: "Audio (MFE)", LatestVersion: 4, Features: FeaturesMel, Params: []Param{
		{Group: "Mel-filterbank energy features", Name: "Frame length", Param: "frame_length", Type: "float"},
		{Group: "Mel-filterbank energy features", Name: "Frame stride", Param: "frame_stride", Type: "float"},
		{Group: "Mel-filterbank energy features", Name: "Filter number", Param: "num_filters", Type: "int"},
		{Group: "Mel-filterbank energy features", Name: "FFT length", Param: "fft_length", Type: "int"},
		{Group: "Mel-filterbank energy features", Name: "Low frequency", Param: "low_frequency", Type: "int"},
		{Group: "Mel-filterbank energy features", Name: "High frequency", Param: "high_frequency", Type: "int", Optional: true},
		{Group: "Mel-filterbank energy features", Name: "Window size", Param: "win_size", Type: "int", Versions: []int{1, 2}},
		{Group: "Normalization", Name: "Noise floor (dB)", Param: "noise_floor_db", Type: "int", Versions: []int{3, 4}},
	}},
	{Type: TypeMFCC, Name: "MFCC", Title: "Audio (MFCC)", LatestVersion: 4, Features: FeaturesCepstrum, Params: []Param{
		{Group: "Mel Frequency Cepstral Coefficients", Name: "Number of coefficients", Param: "num_cepstral", Type: "int"},
		{Group: "Mel Frequency Cepstral Coefficients", Name: "Frame length", Param: "frame_length", Type: "float"},
		{Group: "Mel Frequency Cepstral Coefficients", Name: "Frame stride", Param: "frame_stride", Type: "float"},
		{Group: "Mel Frequency Cepstral Coefficients", Name: "Filter number", Param: "num_filters", Type: "int"},
		{Group: "Mel Frequency Cepstral Coefficients", Name: "FFT length", Param: "fft_length", Type: "int"},
		{Group: "Mel Frequency Cepstral Coefficients", Name: "Window size", Param: "win_size", Type: "int"},
		{Group: "Mel Frequency Cepstral Coefficients", Name: "Low frequency", Param: "low_frequency", Type: "int"},
		{Group: "Mel Frequency Cepstral Coefficients", Name: "High frequency", Param: "high_frequency", Type: "int"},
		{Group: "Pre-emphasis", Name: "Coefficient", Param: "pre_cof", Type: "float"},
		{Group: "Pre-emphasis", Name: "Shift", Param: "pre_shift", Type: "int"},
	}},
}

// Lookup returns the description of a block type ("spectral_analysis", the
// Python module name, is read as "spectral-analysis"). The Params slice is
// shared: do not modify it.
func Lookup(blockType string) (Info, bool) {
	t := normalizeType(blockType)
	for _, in := range infos {
		if in.Type == t {
			if in.Type == TypeSpectral {
				in.Params = slices.Clone(in.Params)
				for i := range in.Params {
					if in.Params[i].Param == "wavelet" {
						in.Params[i].Options = WaveletNames()
					}
				}
			}
			return in, true
		}
	}
	return Info{}, false
}

// LatestVersion returns the latest implementation version of a block type
// (as Studio gives new projects), or 0 for an unknown type.
func LatestVersion(blockType string) int {
	in, _ := Lookup(blockType)
	return in.LatestVersion
}

// NewConfig returns a pointer to a new configuration of the block type
// (*RawConfig, *SpectralConfig, …) holding Studio's defaults, or nil for an
// unknown type. Its UnmarshalJSON reads Studio's parameters.
func NewConfig(blockType string) any {
	switch normalizeType(blockType) {
	case TypeRaw:
		c := DefaultRawConfig()
		return &c
	case TypeFlatten:
		c := DefaultFlattenConfig()
		return &c
	case TypeImage:
		c := DefaultImageConfig()
		return &c
	case TypeSpectral:
		c := DefaultSpectralConfig()
		return &c
	case TypeSpectrogram:
		c := DefaultSpectrogramConfig()
		return &c
	case TypeMFE:
		c := DefaultMFEConfig()
		return &c
	case TypeMFCC:
		c := DefaultMFCCConfig()
		return &c
	}
	return nil
}

// ParamValues returns every parameter of a block type as Studio's strings,
// keyed by parameters.json name: the block's defaults overridden by params
// (nil params gives the defaults). Parameters the block refuses give a
// *ConfigError.
func ParamValues(blockType string, params map[string]any) (map[string]string, error) {
	cfg := NewConfig(blockType)
	if cfg == nil {
		return nil, &ConfigError{Block: blockType, Reason: "unknown processing block type"}
	}
	data := []byte("{}")
	if params != nil {
		var err error
		if data, err = json.Marshal(params); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, err
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, err
	}
	values := make(map[string]string, len(m))
	for k, v := range m {
		values[k] = ParamString(v)
	}
	return values, nil
}

// ParamString formats a parameter value as Studio's strings: numbers in
// their shortest form, booleans as "true"/"false", lists joined by ", ".
func ParamString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = ParamString(e)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}
