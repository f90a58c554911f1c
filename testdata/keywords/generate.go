//go:build ignore

// Generate writes the synthetic keyword-spotting dataset in this folder:
// 1 s, 16 kHz, 16-bit PCM mono WAV files of three "words" — "up" (a voiced
// sound whose pitch and formants rise), "down" (falling), "stop" (a noise
// burst, a gap, then a short vowel) — and of background "noise", under
// training/ and testing/ with labels in the file names
// (<label>.<id>.wav), as Edge Impulse's uploader names them. Every file
// derives from a fixed seed, so running it again reproduces them:
//
//	go run generate.go
package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

const (
	rate = 16000
	n    = rate // 1 s
)

// word synthesises one utterance of a word with a random speaker (pitch),
// speed, loudness, onset and background noise.
func word(label string, rnd *rand.Rand) []float64 {
	x := make([]float64, n)
	pitch := 90 + 120*rnd.Float64()     // Hz
	speed := 0.8 + 0.4*rnd.Float64()    // duration factor
	gain := 0.15 + 0.5*rnd.Float64()    // of full scale
	onset := 0.1 + 0.3*rnd.Float64()    // s
	noise := 0.003 + 0.01*rnd.Float64() // background
	dur := 0.45 * speed
	var phase float64
	for i := range x {
		t := float64(i) / rate
		v := noise * rnd.NormFloat64()
		u := (t - onset) / dur // 0..1 inside the word
		if u >= 0 && u <= 1 {
			env := math.Sin(math.Pi * u)
			var f0, f1, f2 float64
			voiced := true
			switch label {
			case "up":
				f0, f1, f2 = pitch*(0.8+0.5*u), 400+500*u, 1000+1200*u
			case "down":
				f0, f1, f2 = pitch*(1.3-0.5*u), 900-500*u, 2200-1200*u
			case "stop":
				if u < 0.3 {
					voiced = false // "s": a hiss
					v += gain * 0.5 * env * rnd.NormFloat64() * math.Sin(2*math.Pi*5000*t)
				} else if u < 0.45 {
					env = 0 // the "t" closure
				} else {
					f0, f1, f2 = pitch, 600, 1000
				}
			}
			if voiced && env > 0 {
				phase += 2 * math.Pi * f0 / rate
				// A pulse train through two resonances, as a crude vowel.
				for h := 1; h <= 12; h++ {
					fh := float64(h) * f0
					a := 1/(1+math.Pow((fh-f1)/120, 2)) + 0.6/(1+math.Pow((fh-f2)/180, 2))
					v += gain * env * a * math.Sin(float64(h)*phase) / 3
				}
			}
		}
		x[i] = v
	}
	if label == "noise" {
		// Babble-like background: band-limited noise with a slow swell.
		var lp float64
		for i := range x {
			t := float64(i) / rate
			lp = 0.9*lp + 0.1*rnd.NormFloat64()
			x[i] = 0.4 * gain * lp * (1 + 0.5*math.Sin(2*math.Pi*0.7*t+gain*10))
		}
	}
	return x
}

// writeWAV writes x (in [-1, 1]) as 16-bit PCM mono.
func writeWAV(path string, x []float64) error {
	data := make([]byte, 44+2*len(x))
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*len(x)))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], rate)
	binary.LittleEndian.PutUint32(data[28:], rate*2)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*len(x)))
	for i, v := range x {
		s := int16(math.Round(math.Max(-1, math.Min(1, v)) * 32767))
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(s))
	}
	return os.WriteFile(path, data, 0o644)
}

func main() {
	rnd := rand.New(rand.NewPCG(16000, 1))
	for _, label := range []string{"up", "down", "stop", "noise"} {
		for i := range 32 {
			category := "training"
			if i >= 24 {
				category = "testing"
			}
			if err := os.MkdirAll(category, 0o755); err != nil {
				panic(err)
			}
			path := filepath.Join(category, fmt.Sprintf("%s.w%02d.wav", label, i))
			if err := writeWAV(path, word(label, rnd)); err != nil {
				panic(err)
			}
		}
	}
}
