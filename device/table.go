package device

import (
	"fmt"
	"io"
	"strconv"

	"github.com/tinyimpulse/tinyimpulse/internal/table"
)

// DeviceSummary gathers the estimates of an impulse's blocks on one target
// for [DeviceSummary.WriteTable].
type DeviceSummary struct {
	Target  Target
	DSP     []BlockProfile
	NN      []*Profile
	Anomaly []BlockProfile
	// CLibrary is the impulse as tinyimpulse's generated C library, one
	// profile per network model type (the selected one first), or nil.
	CLibrary []*CLibraryProfile
}

// WriteTable writes one row per processing block, per model variant and
// deployment (TFLite Micro, EON, EON RAM-optimised) and per anomaly block,
// with latency, RAM, ROM and arena size, then the stages of tinyimpulse's
// C library (its arenas share one RAM figure, given in the notes), then
// the EON totals of the first model variant and the C library's totals.
func (d *DeviceSummary) WriteTable(w io.Writer) error {
	header := []string{"block", "engine", "latency", "RAM", "ROM", "arena"}
	var rows [][]string
	totalMs, totalRAM, totalROM := 0.0, 0, 0
	for _, b := range d.DSP {
		rows = append(rows, []string{b.Name, "DSP", ms(b.LatencyMs), kb(b.RAM), kb(b.ROM), ""})
		totalMs += b.LatencyMs
		totalRAM = max(totalRAM, b.RAM)
		totalROM += b.ROM
	}
	for i, p := range d.NN {
		name := "NN " + string(p.DType)
		rows = append(rows,
			[]string{name, "TFLite Micro", ms(p.LatencyMs), kb(p.TFLite.RAM), kb(p.TFLite.ROM), kb(p.TFLite.Arena)},
			[]string{name, "EON", ms(p.LatencyMs), kb(p.EON.RAM), kb(p.EON.ROM), kb(p.EON.Arena)})
		if p.RAMOptimized {
			rows = append(rows, []string{name, "EON RAM-opt.", ms(p.RAMOptimizedLatencyMs), kb(p.EONRAMOptimized.RAM),
				kb(p.EONRAMOptimized.ROM), kb(p.EONRAMOptimized.Arena)})
		}
		if i == 0 {
			totalMs += p.LatencyMs
			totalRAM = max(totalRAM, p.EON.RAM)
			totalROM += p.EON.ROM
		}
	}
	for _, b := range d.Anomaly {
		rows = append(rows, []string{b.Name, "anomaly", ms(b.LatencyMs), kb(b.RAM), kb(b.ROM), ""})
		totalMs += b.LatencyMs
		totalRAM = max(totalRAM, b.RAM)
		totalROM += b.ROM
	}
	const engine = "tinyimpulse C"
	if len(d.CLibrary) > 0 {
		for _, st := range d.CLibrary[0].DSP {
			rows = append(rows, []string{st.Name, engine, ms(st.LatencyMs), "", kb(st.ROM), kb(st.Arena)})
		}
	}
	for _, c := range d.CLibrary {
		if c.DType != "" {
			rows = append(rows, []string{c.NN.Name, engine, ms(c.NN.LatencyMs), "", kb(c.NN.ROM), kb(c.NN.Arena)})
		}
	}
	if len(d.CLibrary) > 0 && d.CLibrary[0].Anomaly.Name != "" {
		a := d.CLibrary[0].Anomaly
		rows = append(rows, []string{a.Name, engine, ms(a.LatencyMs), "", kb(a.ROM), ""})
	}
	notes := []string{fmt.Sprintf("Total (EON): %s, peak RAM %s, ROM %s; target %s", ms(totalMs), kb(totalRAM), kb(totalROM), d.Target.ID)}
	for _, c := range d.CLibrary {
		which := "tinyimpulse C"
		if c.DType != "" {
			which += " (" + string(c.DType) + ")"
		}
		notes = append(notes, fmt.Sprintf("Total (%s): %s, RAM %s + stack %s, ROM %s", which, ms(c.LatencyMs), kb(c.RAM), kb(c.Stack), kb(c.ROM)))
	}
	for _, p := range d.NN {
		if !p.Fits {
			notes = append(notes, "Does not fit: "+p.FitError)
		}
	}
	title := "On-device performance on " + d.Target.Name
	return table.Write(w, title, notes, table.Layout{Header: header, Rows: rows, Left: 2})
}

func ms(v float64) string { return strconv.Itoa(LatencyMillis(v)) + " ms" }
