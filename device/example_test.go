package device_test

import (
	"fmt"

	"github.com/tinyimpulse/tinyimpulse/device"
	"github.com/tinyimpulse/tinyimpulse/dsp"
)

func ExampleProfileNetwork() {
	// A small int8 network for 33 spectral features.
	net := &device.Network{
		DType: device.Int8,
		Input: []int{33},
		Ops: []device.Op{
			{Kind: device.FullyConnected, Output: []int{20}, WeightBytes: 33 * 20, BiasBytes: 4 * 20},
			{Kind: device.FullyConnected, Output: []int{10}, WeightBytes: 20 * 10, BiasBytes: 4 * 10},
			{Kind: device.FullyConnected, Output: []int{4}, WeightBytes: 10 * 4, BiasBytes: 4 * 4},
			{Kind: device.Softmax, Output: []int{4}},
		},
	}
	p, err := device.ProfileNetwork(net, device.ProfileConfig{Target: "nordic-nrf52840-dk"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %.0f MACs, %.3f ms\n", p.Target.Name, p.MACs, p.LatencyMs)
	fmt.Printf("TFLite Micro: arena %d B, RAM %d B, ROM %d B\n", p.TFLite.Arena, p.TFLite.RAM, p.TFLite.ROM)
	fmt.Printf("EON:          arena %d B, RAM %d B, ROM %d B\n", p.EON.Arena, p.EON.RAM, p.EON.ROM)
	// Output:
	// Nordic nRF52840 DK (Cortex-M4F 64MHz): 900 MACs, 0.151 ms
	// TFLite Micro: arena 1248 B, RAM 1776 B, ROM 35211 B
	// EON:          arena 364 B, RAM 672 B, ROM 19905 B
}

func ExampleProfileDSP() {
	// MFCC of one second of 16 kHz audio with Studio's defaults: 50 frames
	// of 20 ms.
	mfcc, err := dsp.NewMFCC(dsp.DefaultMFCCConfig(), dsp.Input{FrequencyHz: 16000, Axes: 1, Samples: 16000})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := device.ProfileDSP("MFCC", mfcc.Cost(), device.ProfileConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2fM cycles, %+v\n", p.Cycles/1e6, p.Performance())
	// Output:
	// 13.83M cycles, {Latency:173 RAM:14204 CustomDSPString:}
}
