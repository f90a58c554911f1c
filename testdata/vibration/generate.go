//go:build ignore

// Generate writes the synthetic machine-vibration dataset in this folder:
// 3-axis accelerometer recordings (m/s², 400 Hz, 4 s) of a fan running at
// different speeds, in Edge Impulse's export layout (info.labels,
// training/ and testing/ with unsigned acquisition JSON files). Training
// holds only the healthy fan ("normal"); testing adds recordings of faults
// labelled "anomaly": an unbalanced rotor (a strong once-per-revolution
// component) and a damaged bearing (periodic high-frequency impacts).
// Everything derives from a fixed seed, so running it again reproduces the
// files:
//
//	go run generate.go
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

const (
	intervalMs = 2.5 // 400 Hz
	seconds    = 4
)

func record(kind string, rnd *rand.Rand) [][]float64 {
	n := int(seconds * 1000 / intervalMs)
	rot := 25 + 10*rnd.Float64() // rotation frequency, Hz
	p1, p2 := rnd.Float64()*2*math.Pi, rnd.Float64()*2*math.Pi
	rows := make([][]float64, n)
	var ring float64 // bearing impact resonance state
	for i := range rows {
		t := float64(i) * intervalMs / 1000
		w := 2 * math.Pi * rot * t
		// Healthy fan: small residual unbalance, blade-pass at 7×, noise.
		x := 0.15*math.Sin(w+p1) + 0.08*math.Sin(7*w+p2)
		y := 0.15*math.Cos(w+p1) + 0.06*math.Sin(7*w+p2+1)
		z := 0.05 * math.Sin(2*w)
		switch kind {
		case "unbalance":
			x += 1.2 * math.Sin(w+p1)
			y += 1.2 * math.Cos(w+p1)
			z += 0.3 * math.Sin(w)
		case "bearing":
			// An impact at 3.6× the rotation rate excites a 150 Hz ringing.
			if math.Mod(t*rot*3.6, 1) < rot*3.6*intervalMs/1000 {
				ring += 2
			}
			ring *= 0.93
			r := ring * math.Sin(2*math.Pi*150*t)
			x += r
			z += 0.7 * r
		}
		rows[i] = []float64{
			math.Round((x+0.05*rnd.NormFloat64())*1000) / 1000,
			math.Round((y+0.05*rnd.NormFloat64())*1000) / 1000,
			math.Round((9.80665+z+0.05*rnd.NormFloat64())*1000) / 1000,
		}
	}
	return rows
}

type infoFile struct {
	Path     string `json:"path"`
	Name     string `json:"name"`
	Category string `json:"category"`
	Label    struct {
		Type  string `json:"type"`
		Label string `json:"label"`
	} `json:"label"`
}

func main() {
	rnd := rand.New(rand.NewPCG(400, 7))
	var files []infoFile
	write := func(category, label, kind string, idx int) {
		sample := map[string]any{
			"protected": map[string]string{"ver": "v1", "alg": "none"},
			"signature": "0000000000000000000000000000000000000000000000000000000000000000",
			"payload": map[string]any{
				"device_name": "synthetic-fan", "device_type": "TINYIMPULSE_SYNTH", "interval_ms": intervalMs,
				"sensors": []map[string]string{{"name": "accX", "units": "m/s2"}, {"name": "accY", "units": "m/s2"}, {"name": "accZ", "units": "m/s2"}},
				"values":  record(kind, rnd),
			},
		}
		name := fmt.Sprintf("%s.%s%02d", label, kind, idx)
		path := filepath.Join(category, name+".json")
		data, err := json.Marshal(sample)
		if err != nil {
			panic(err)
		}
		if err := os.MkdirAll(category, 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			panic(err)
		}
		f := infoFile{Path: path, Name: name, Category: category}
		f.Label.Type, f.Label.Label = "label", label
		files = append(files, f)
	}
	for i := range 12 {
		write("training", "normal", "healthy", i)
	}
	for i := range 3 {
		write("testing", "normal", "healthy", 12+i)
		write("testing", "anomaly", "unbalance", i)
		write("testing", "anomaly", "bearing", i)
	}
	info, err := json.MarshalIndent(map[string]any{"version": 1, "files": files}, "", " ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile("info.labels", info, 0o644); err != nil {
		panic(err)
	}
}
