package dsp_test

import (
	"fmt"
	"log"

	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// The constants an MFCC block derives from Studio's defaults on 1 s of
// 16 kHz audio, as a code generator sees them.
func ExampleDesignOf() {
	mfcc, err := dsp.NewMFCC(dsp.DefaultMFCCConfig(), dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000})
	if err != nil {
		log.Fatal(err)
	}
	d, err := dsp.DesignOf(mfcc)
	if err != nil {
		log.Fatal(err)
	}
	a := d.Audio
	fmt.Println(d.Type, "version", d.Version, "features", d.Features)
	fmt.Println("frames", a.Frames, "of", a.FrameLength, "samples,", a.FrameStride, "apart; FFT", a.FFTLength)
	fmt.Println("mel filters", len(a.MelStart), "first bins", a.MelStart[:4], "DCT", len(a.DCT), "×", len(a.DCT[0]))
	// Output:
	// mfcc version 4 features 650
	// frames 50 of 320 samples, 320 apart; FFT 256
	// mel filters 32 first bins [0 1 2 3] DCT 13 × 32
}
