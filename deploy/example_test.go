package deploy_test

import (
	"fmt"
	"io/fs"
	"log"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/dsp"
)

// An MFCC block with Studio's defaults on 1 s of 16 kHz audio, prepared for
// the C runtime: the function and configuration type to call, the window
// and feature sizes, and the working arena in each precision.
func ExampleDSPBlock() {
	mfcc, err := dsp.NewMFCC(dsp.DefaultMFCCConfig(), dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000})
	if err != nil {
		log.Fatal(err)
	}
	blk, err := deploy.NewDSPBlock(mfcc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(blk.Func(), blk.ConfigType(), blk.InputLen(), "values in,", blk.Features(), "features out")
	fmt.Println("arena:", blk.ArenaBytes(deploy.Float32), "bytes (float32 build),", blk.ArenaBytes(deploy.Float64), "bytes (float64 build)")
	src, err := blk.CSource("keywords_mfcc")
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(line, "const ") {
			fmt.Println(line)
		}
	}
	// Output:
	// ti_mfcc ti_mfcc_config 16000 values in, 650 features out
	// arena: 3688 bytes (float32 build), 5352 bytes (float64 build)
	// const ti_mfcc_config keywords_mfcc = {
}

// The C runtime's sources, to compile with the generated configurations.
func ExampleRuntime() {
	files, err := fs.Glob(deploy.Runtime(), "*")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Join(files, " "))
	// Output:
	// ti_anomaly.c ti_audio.c ti_basic.c ti_common.c ti_dsp.h ti_impulse.c ti_impulse.h ti_internal.h ti_model.h ti_nn.c ti_spectral.c
}
