package dsp

import (
	"slices"
	"testing"
)

// Every parameter a block reads has an entry in its Info.Params, and the
// other way round; every type has a name, a title and a version, and its
// configuration builds the block.
func TestInfoMatchesBlocks(t *testing.T) {
	t.Parallel()
	for _, typ := range BlockTypes {
		info, ok := Lookup(typ)
		if !ok || info.Name == "" || info.Title == "" || info.LatestVersion < 1 {
			t.Fatalf("%s: %+v", typ, info)
		}
		values, err := ParamValues(typ, nil)
		if err != nil {
			t.Fatal(err)
		}
		var params []string
		for _, s := range info.Params {
			params = append(params, s.Param)
			if _, ok := values[s.Param]; !ok {
				t.Errorf("%s: table parameter %q is not a dsp parameter", typ, s.Param)
			}
			if s.Type == "select" && len(s.Options) == 0 {
				t.Errorf("%s: select parameter %q has no options", typ, s.Param)
			}
		}
		for p := range values {
			if !slices.Contains(params, p) {
				t.Errorf("%s: dsp parameter %q is missing from the table", typ, p)
			}
		}
	}
	if _, ok := Lookup("spectral_analysis"); !ok {
		t.Error("the Python module name spectral_analysis is not recognised")
	}
	if _, ok := Lookup("mfcc2"); ok || LatestVersion("mfcc2") != 0 || NewConfig("mfcc2") != nil {
		t.Error("an unknown type is known")
	}
	if _, err := ParamValues(TypeMFCC, map[string]any{"num_cepstral": "x"}); err == nil {
		t.Error("ParamValues accepts a parameter the block refuses")
	}
	v, err := ParamValues(TypeMFCC, map[string]any{"num_cepstral": 10})
	if err != nil || v["num_cepstral"] != "10" || v["frame_length"] != "0.02" {
		t.Errorf("ParamValues = %v, %v", v, err)
	}
}
