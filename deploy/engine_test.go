package deploy_test

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// TestEngineEstimates holds package device's estimate of the generated C
// library (impulse.Model.Estimate's CLibrary profiles, the engine shown by
// `impulse estimate` beside TensorFlow Lite Micro and EON) to what the
// emulator measured for every calibration impulse
// (device/calibration/tinyimpulse-qemu-impulses.csv, recorded by
// TestQEMUCalibration from the same models): instructions of each stage
// and of the whole run within 5%, the arena and the static RAM exactly,
// the stack exactly and the ROM within 15%.
func TestEngineEstimates(t *testing.T) {
	data, err := os.ReadFile(calibrationDir + "/tinyimpulse-qemu-impulses.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	measured := map[string][]string{}
	for _, r := range recs[1:] {
		measured[r[0]] = r
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-30s %-9s %12s %12s %7s\n", "impulse", "stage", "measured", "estimated", "error")
	checked := 0
	for _, l := range calibrationLibraries(t) {
		r := measured[l.name]
		if r == nil {
			t.Errorf("%s: not in the calibration table (run TestQEMUCalibration -update-calibration)", l.name)
			continue
		}
		get := func(c string) float64 { v, _ := strconv.ParseFloat(r[col[c]], 64); return v }
		sum, err := l.m.Estimate(device.DefaultTarget)
		if err != nil {
			t.Fatal(err)
		}
		var p *device.CLibraryProfile
		for _, c := range sum.CLibrary {
			if string(c.DType) == l.mt.String() {
				p = c
			}
		}
		if p == nil {
			t.Fatalf("%s: no %s C library estimate", l.name, l.mt)
		}
		dspInsn := 0.0
		for _, s := range p.DSP {
			dspInsn += s.Instructions
		}
		for _, s := range []struct {
			name      string
			est, meas float64
		}{{"DSP", dspInsn, get("dsp")}, {"network", p.NN.Instructions, get("nn")}, {"anomaly", p.Anomaly.Instructions, get("anomaly")},
			{"total", p.Instructions, get("dsp") + get("nn") + get("anomaly")}} {
			e := 0.0
			if s.meas > 0 {
				e = s.est/s.meas - 1
			} else if s.est != 0 {
				e = math.Inf(1)
			}
			fmt.Fprintf(&b, "%-30s %-9s %12.0f %12.0f %+6.1f%%\n", l.name, s.name, s.meas, s.est, 100*e)
			if math.Abs(e) > 0.05 {
				t.Errorf("%s: %s estimate %.0f instructions, measured %.0f (%+.1f%%, over 5%%)", l.name, s.name, s.est, s.meas, 100*e)
			}
		}
		if p.Arena != int(get("arena")) || p.RAM != int(get("static")) || p.Stack != int(get("stack")) {
			t.Errorf("%s: arena %d, RAM %d, stack %d estimated; %v, %v, %v measured", l.name, p.Arena, p.RAM, p.Stack, get("arena"), get("static"), get("stack"))
		}
		if e := float64(p.ROM)/get("rom") - 1; math.Abs(e) > 0.15 {
			t.Errorf("%s: ROM %d estimated, %v measured (%+.1f%%, over 15%%)", l.name, p.ROM, get("rom"), 100*e)
		}
		fmt.Fprintf(&b, "%-30s %-9s %12.0f %12d %+6.1f%%\n", l.name, "ROM", get("rom"), p.ROM, 100*(float64(p.ROM)/get("rom")-1))
		checked++
	}
	if checked == 0 {
		t.Fatal("no impulse checked")
	}
	t.Logf("the C library engine against the emulator:\n%s", b.String())
	_ = impulse.Int8
}
