package impulse

import (
	"github.com/tinyimpulse/tinyimpulse/dsp"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// dspGroups returns Studio's parameter groups of a DSP block, with each
// parameter's value and default, and the values as DSPMetadata.dspConfig
// lists them.
func dspGroups(b *studio.DSPBlock, params DSPParams) ([]studio.DSPGroup, map[string]string, error) {
	defaults, err := dsp.ParamValues(b.Type, nil)
	if err != nil {
		return nil, nil, err
	}
	values, err := dsp.ParamValues(b.Type, params)
	if err != nil {
		return nil, nil, err
	}
	info, _ := dsp.Lookup(b.Type)
	var groups []studio.DSPGroup
	for _, s := range info.Params {
		v := values[s.Param]
		item := studio.DSPGroupItem{Name: s.Name, Value: &v, DefaultValue: defaults[s.Param], Type: s.Type, Param: s.Param,
			ShouldShow: s.Shown(b.ImplementationVersion), ShowIf: s.ShowIf, Required: !s.Optional}
		for _, o := range s.Options {
			item.SelectOptions = append(item.SelectOptions, studio.SelectOption{Value: o, Selected: o == v, OptionLabel: o})
		}
		if n := len(groups); n == 0 || groups[n-1].Group != s.Group {
			groups = append(groups, studio.DSPGroup{Group: s.Group})
		}
		groups[len(groups)-1].Items = append(groups[len(groups)-1].Items, item)
	}
	return groups, values, nil
}
