//go:build ignore

// Generate writes the synthetic gesture dataset in this folder: 3-axis
// accelerometer recordings (m/s², 62.5 Hz, 6 s) of four gestures — idle,
// circle, updown, flick — in Edge Impulse's export layout (info.labels,
// training/ and testing/ with unsigned acquisition JSON files), plus
// testing recordings of an unseen motion labelled "anomaly". Everything
// derives from a fixed seed, so running it again reproduces the files:
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
	intervalMs = 16.0 // 62.5 Hz
	seconds    = 6
)

type sample struct {
	Protected struct {
		Ver string `json:"ver"`
		Alg string `json:"alg"`
	} `json:"protected"`
	Signature string  `json:"signature"`
	Payload   payload `json:"payload"`
}

type payload struct {
	DeviceName string      `json:"device_name"`
	DeviceType string      `json:"device_type"`
	IntervalMs float64     `json:"interval_ms"`
	Sensors    []sensor    `json:"sensors"`
	Values     [][]float64 `json:"values"`
}

type sensor struct {
	Name  string `json:"name"`
	Units string `json:"units"`
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

// record synthesises one recording. Each gesture has its own tempo,
// amplitude and orientation jitter per recording, a slow drift, and sensor
// noise; "anomaly" is an irregular shake none of the gestures contains.
func record(gesture string, rnd *rand.Rand) [][]float64 {
	n := int(seconds * 1000 / intervalMs)
	rows := make([][]float64, n)
	tempo := 0.7 + 0.5*rnd.Float64()
	amp := 0.8 + 0.4*rnd.Float64()
	phase := rnd.Float64() * 2 * math.Pi
	tilt := (rnd.Float64() - 0.5) * 0.6 // radians about x
	g := 9.80665
	for i := range rows {
		t := float64(i) * intervalMs / 1000
		var x, y, z float64
		switch gesture {
		case "idle":
			x = 0.2 * math.Sin(2*math.Pi*0.1*t+phase)
		case "circle":
			x = amp * 5 * math.Cos(2*math.Pi*tempo*t+phase)
			y = amp * 5 * math.Sin(2*math.Pi*tempo*t+phase)
		case "updown":
			z = amp * 7 * math.Sin(2*math.Pi*1.3*tempo*t+phase)
			x = amp * 0.8 * math.Sin(2*math.Pi*2.6*tempo*t+phase)
		case "flick":
			p := math.Mod(t*tempo+phase/(2*math.Pi), 1)
			y = -amp * 16 * math.Exp(-p*p*300)
			x = amp * 8 * math.Exp(-(p-0.06)*(p-0.06)*300)
		case "anomaly":
			x = amp * 9 * math.Sin(2*math.Pi*7.5*t+phase) * (0.5 + 0.5*math.Sin(2*math.Pi*0.4*t))
			y = amp * 6 * math.Sin(2*math.Pi*11*t)
			z = 3 * rnd.NormFloat64()
		}
		// Gravity on z, tilted; drift; noise.
		z += g * math.Cos(tilt)
		y += g * math.Sin(tilt)
		drift := 0.15 * math.Sin(2*math.Pi*0.05*t+phase)
		row := []float64{x + drift, y, z}
		for k := range row {
			row[k] = math.Round((row[k]+0.25*rnd.NormFloat64())*100) / 100
		}
		rows[i] = row
	}
	return rows
}

func main() {
	rnd := rand.New(rand.NewPCG(2026, 11))
	var files []infoFile
	write := func(category, label string, idx int) {
		var s sample
		s.Protected.Ver, s.Protected.Alg = "v1", "none"
		s.Signature = "0000000000000000000000000000000000000000000000000000000000000000"
		s.Payload = payload{DeviceName: "synthetic-imu", DeviceType: "TINYIMPULSE_SYNTH", IntervalMs: intervalMs,
			Sensors: []sensor{{"accX", "m/s2"}, {"accY", "m/s2"}, {"accZ", "m/s2"}},
			Values:  record(label, rnd)}
		name := fmt.Sprintf("%s.s%02d", label, idx)
		path := filepath.Join(category, name+".json")
		data, err := json.Marshal(s)
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
	for _, g := range []string{"idle", "circle", "updown", "flick"} {
		for i := range 8 {
			write("training", g, i)
		}
		for i := range 3 {
			write("testing", g, 8+i)
		}
	}
	for i := range 3 {
		write("testing", "anomaly", i)
	}
	info, err := json.MarshalIndent(map[string]any{"version": 1, "files": files}, "", " ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile("info.labels", info, 0o644); err != nil {
		panic(err)
	}
}
