package impulse

import (
	"encoding/json"
	"slices"

	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// paramSpec describes one parameter of a processing block as Studio lists it
// (the processing blocks' parameters.json): its group, display name,
// parameters.json name, type, options, the implementation versions that show
// it and its visibility condition. Defaults come from the dsp package.
type paramSpec struct {
	group, name, param, typ string
	options                 []string
	versions                []int // nil: every version; empty: never shown
	showIf                  *studio.ShowIf
	optional                bool
}

var (
	showIfFilter  = &studio.ShowIf{Parameter: "filter-type", Operator: "neq", Value: "none"}
	showIfFFT     = &studio.ShowIf{Parameter: "analysis-type", Operator: "eq", Value: "FFT"}
	showIfWavelet = &studio.ShowIf{Parameter: "analysis-type", Operator: "eq", Value: "Wavelet"}
)

var dspParamSpecs = map[string][]paramSpec{
	"raw": {
		{group: "Scaling", name: "Scale axes", param: "scale-axes", typ: "float"},
	},
	"flatten": {
		{group: "Scaling", name: "Scale axes", param: "scale-axes", typ: "float"},
		{group: "Method", name: "Average", param: "average", typ: "boolean"},
		{group: "Method", name: "Minimum", param: "minimum", typ: "boolean"},
		{group: "Method", name: "Maximum", param: "maximum", typ: "boolean"},
		{group: "Method", name: "Root-mean square", param: "rms", typ: "boolean"},
		{group: "Method", name: "Standard deviation", param: "stdev", typ: "boolean"},
		{group: "Method", name: "Skewness", param: "skewness", typ: "boolean"},
		{group: "Method", name: "Kurtosis", param: "kurtosis", typ: "boolean"},
	},
	"image": {
		{group: "Image", name: "Color depth", param: "channels", typ: "select", options: []string{"RGB", "Grayscale"}},
	},
	"spectral-analysis": {
		{group: "Filter", name: "Scale axes", param: "scale-axes", typ: "float"},
		{group: "Filter", name: "Input decimation ratio", param: "input-decimation-ratio", typ: "select",
			options: []string{"1", "3", "10", "30", "100", "1000"}, versions: []int{4}},
		{group: "Filter", name: "Type", param: "filter-type", typ: "select", options: []string{"low", "high", "none"}},
		{group: "Filter", name: "Cut-off frequency", param: "filter-cutoff", typ: "float", showIf: showIfFilter},
		{group: "Filter", name: "Order", param: "filter-order", typ: "int", showIf: showIfFilter},
		{group: "Analysis", name: "Type", param: "analysis-type", typ: "select", options: []string{"FFT", "Wavelet"}, versions: []int{3, 4}},
		{group: "Analysis", name: "FFT length", param: "fft-length", typ: "int", showIf: showIfFFT},
		{group: "Analysis", name: "No. of peaks", param: "spectral-peaks-count", typ: "int", versions: []int{1}},
		{group: "Analysis", name: "Peaks threshold", param: "spectral-peaks-threshold", typ: "float", versions: []int{1}},
		{group: "Analysis", name: "Power edges", param: "spectral-power-edges", typ: "string", versions: []int{1}},
		{group: "Analysis", name: "Take log of spectrum?", param: "do-log", typ: "boolean", versions: []int{2, 3, 4}, showIf: showIfFFT},
		{group: "Analysis", name: "Overlap FFT frames?", param: "do-fft-overlap", typ: "boolean", versions: []int{2, 3, 4}, showIf: showIfFFT},
		{group: "Analysis", name: "Wavelet Decomposition Level", param: "wavelet-level", typ: "int", versions: []int{3, 4}, showIf: showIfWavelet},
		{group: "Analysis", name: "Wavelet", param: "wavelet", typ: "select", versions: []int{3, 4}, showIf: showIfWavelet},
		{group: "Analysis", name: "Improve low frequency resolution?", param: "extra-low-freq", typ: "boolean", versions: []int{4}, showIf: showIfFFT},
	},
	"spectrogram": {
		{group: "Spectrogram", name: "Frame length", param: "frame_length", typ: "float"},
		{group: "Spectrogram", name: "Frame stride", param: "frame_stride", typ: "float"},
		{group: "Spectrogram", name: "FFT length", param: "fft_length", typ: "int"},
		{group: "Normalization", name: "Noise floor (dB)", param: "noise_floor_db", typ: "int", versions: []int{3, 4}},
		{group: "Normalization", name: "Show axes", param: "show_axes", typ: "boolean", versions: []int{}},
	},
	"mfe": {
		{group: "Mel-filterbank energy features", name: "Frame length", param: "frame_length", typ: "float"},
		{group: "Mel-filterbank energy features", name: "Frame stride", param: "frame_stride", typ: "float"},
		{group: "Mel-filterbank energy features", name: "Filter number", param: "num_filters", typ: "int"},
		{group: "Mel-filterbank energy features", name: "FFT length", param: "fft_length", typ: "int"},
		{group: "Mel-filterbank energy features", name: "Low frequency", param: "low_frequency", typ: "int"},
		{group: "Mel-filterbank energy features", name: "High frequency", param: "high_frequency", typ: "int", optional: true},
		{group: "Mel-filterbank energy features", name: "Window size", param: "win_size", typ: "int", versions: []int{1, 2}},
		{group: "Normalization", name: "Noise floor (dB)", param: "noise_floor_db", typ: "int", versions: []int{3, 4}},
	},
	"mfcc": {
		{group: "Mel Frequency Cepstral Coefficients", name: "Number of coefficients", param: "num_cepstral", typ: "int"},
		{group: "Mel Frequency Cepstral Coefficients", name: "Frame length", param: "frame_length", typ: "float"},
		{group: "Mel Frequency Cepstral Coefficients", name: "Frame stride", param: "frame_stride", typ: "float"},
		{group: "Mel Frequency Cepstral Coefficients", name: "Filter number", param: "num_filters", typ: "int"},
		{group: "Mel Frequency Cepstral Coefficients", name: "FFT length", param: "fft_length", typ: "int"},
		{group: "Mel Frequency Cepstral Coefficients", name: "Window size", param: "win_size", typ: "int"},
		{group: "Mel Frequency Cepstral Coefficients", name: "Low frequency", param: "low_frequency", typ: "int"},
		{group: "Mel Frequency Cepstral Coefficients", name: "High frequency", param: "high_frequency", typ: "int"},
		{group: "Pre-emphasis", name: "Coefficient", param: "pre_cof", typ: "float"},
		{group: "Pre-emphasis", name: "Shift", param: "pre_shift", typ: "int"},
	},
}

// configValues returns every parameter of a block as strings: the defaults
// when params is nil, else the parameters as the block reads them (params
// over the defaults).
func configValues(typ string, params DSPParams) (map[string]string, error) {
	cfg := configFor(typ)
	data := []byte("{}")
	if params != nil {
		var err error
		if data, err = json.Marshal(map[string]any(params)); err != nil {
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
		values[k] = paramString(v)
	}
	return values, nil
}

// dspGroups returns Studio's parameter groups of a DSP block, with each
// parameter's value and default, and the values as DSPMetadata.dspConfig
// lists them.
func dspGroups(b *studio.DSPBlock, params DSPParams) ([]studio.DSPGroup, map[string]string, error) {
	defaults, err := configValues(b.Type, nil)
	if err != nil {
		return nil, nil, err
	}
	values, err := configValues(b.Type, params)
	if err != nil {
		return nil, nil, err
	}
	var groups []studio.DSPGroup
	for _, s := range dspParamSpecs[b.Type] {
		v := values[s.param]
		item := studio.DSPGroupItem{Name: s.name, Value: &v, DefaultValue: defaults[s.param], Type: s.typ, Param: s.param,
			ShouldShow: s.versions == nil || slices.Contains(s.versions, b.ImplementationVersion),
			ShowIf:     s.showIf, Required: !s.optional}
		options := s.options
		if s.param == "wavelet" {
			options = dsp.WaveletNames()
		}
		for _, o := range options {
			item.SelectOptions = append(item.SelectOptions, studio.SelectOption{Value: o, Selected: o == v, OptionLabel: o})
		}
		if n := len(groups); n == 0 || groups[n-1].Group != s.group {
			groups = append(groups, studio.DSPGroup{Group: s.group})
		}
		groups[len(groups)-1].Items = append(groups[len(groups)-1].Items, item)
	}
	return groups, values, nil
}
