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

// The gestures impulse as tinyimpulse's generated C library: spectral
// analysis of 2 s of 3-axis data at 62.5 Hz, a dense int8 network and
// K-means, on a Cortex-M4F at 80 MHz.
func ExampleProfileCLibrary() {
	spectral, err := dsp.New(dsp.TypeSpectral, 4, map[string]any{"fft-length": 16}, dsp.Input{FrequencyHz: 62.5, Axes: 3, Samples: 125})
	if err != nil {
		fmt.Println(err)
		return
	}
	net := &device.Network{DType: device.Int8, Input: []int{39}, Ops: []device.Op{
		{Kind: device.FullyConnected, Output: []int{20}, WeightBytes: 39 * 20, BiasBytes: 4 * 20},
		{Kind: device.FullyConnected, Output: []int{10}, WeightBytes: 20 * 10, BiasBytes: 4 * 10},
		{Kind: device.FullyConnected, Output: []int{4}, WeightBytes: 10 * 4, BiasBytes: 4 * 4},
		{Kind: device.Softmax, Output: []int{4}},
	}}
	lib := device.CLibrary{
		DSP:     []device.CDSPBlock{{Name: "Spectral features", Block: spectral}},
		Network: net, NetworkRanges: 1,
		Anomaly: &device.AnomalyBlock{Kind: device.AnomalyKMeans, Clusters: 32, Features: 39}, AnomalyFeatures: 39, AnomalyRanges: 1,
	}
	p, err := device.ProfileCLibrary(lib, device.ProfileConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("DSP %.2f ms, NN %.3f ms, anomaly %.3f ms\n", p.DSP[0].LatencyMs, p.NN.LatencyMs, p.Anomaly.LatencyMs)
	fmt.Printf("RAM %d B (arena %d B), stack about %d B\n", p.RAM, p.Arena, p.Stack)
	// Output:
	// DSP 1.92 ms, NN 0.126 ms, anomaly 0.280 ms
	// RAM 820 B (arena 804 B), stack about 872 B
}
