package device

import (
	"fmt"
	"strings"
)

// Core identifies a processor core family; it selects the core factors of
// the latency model (device-estimates.md §5.3), the CMSIS-NN scratch-buffer
// variant (§3.4) and the code-size factor (§4.2).
type Core string

// Core families.
const (
	CortexM0Plus Core = "cm0p"
	CortexM4     Core = "cm4"
	CortexM7     Core = "cm7"
	CortexM33    Core = "cm33"
	CortexM55    Core = "cm55"
	CortexM85    Core = "cm85"
	ESP32        Core = "esp32"
	ESP32S3      Core = "esp32s3"
	ARCEM        Core = "arc"
	// CortexM33MVP is an EFR32xG24's Cortex-M33 with its MVP matrix
	// accelerator.
	CortexM33MVP Core = "cm33+mvp"
)

// coreParams are the per-core constants of device-estimates.md.
type coreParams struct {
	// int8 and float32: cycles per Cortex-M4 instruction (§5.3).
	int8, float32 float64
	// rom: code-size factor relative to Thumb-2 Cortex-M4 (§4.2).
	rom float64
	// scratch: CMSIS-NN buffer variant (§3.4).
	scratch scratchKind
}

type scratchKind int

const (
	scratchDSP  scratchKind = iota // Cortex-M4/M7/M33 DSP extension (and ESP-NN, ARC MLI)
	scratchMVE                     // Helium: Cortex-M55/M85
	scratchNone                    // no DSP extension: Cortex-M0+ (depthwise needs none)
)

// cores is device-estimates.md §5.3 (core factors, with the basis given
// there: MLPerf Tiny cycle ratios within one framework across boards) and
// §4.2 (code-size factors).
var cores = map[Core]coreParams{
	CortexM4:     {int8: 1.40, float32: 1.30, rom: 1.0, scratch: scratchDSP},
	CortexM7:     {int8: 0.77, float32: 0.60, rom: 1.0, scratch: scratchDSP},
	CortexM33:    {int8: 1.15, float32: 1.10, rom: 1.0, scratch: scratchDSP},
	CortexM55:    {int8: 0.35, float32: 0.80, rom: 1.15, scratch: scratchMVE},
	CortexM85:    {int8: 0.35, float32: 0.80, rom: 1.15, scratch: scratchMVE},
	CortexM0Plus: {int8: 7.0, float32: 19.5, rom: 0.9, scratch: scratchNone},
	ESP32:        {int8: 2.8, float32: 2.0, rom: 1.3, scratch: scratchDSP},
	ESP32S3:      {int8: 0.8, float32: 1.5, rom: 1.3, scratch: scratchDSP},
	ARCEM:        {int8: 1.0, float32: 1.5, rom: 1.0, scratch: scratchDSP},
	CortexM33MVP: {int8: 0.6, float32: 1.1, rom: 1.0, scratch: scratchDSP},
}

// Factor returns the core's cycles per Cortex-M4 instruction for the given
// model variant (device-estimates.md §5.3), or 0 for an unknown core.
func (c Core) Factor(d DType) float64 {
	p, ok := cores[c]
	if !ok {
		return 0
	}
	if d == Float32 {
		return p.float32
	}
	return p.int8
}

// Target is a device Studio can profile a model for
// (device-estimates.md §1).
type Target struct {
	// ID is Edge Impulse's profile-device id, e.g. "cortex-m4f-80mhz".
	ID string `json:"id"`
	// Name is the label Studio shows.
	Name     string  `json:"name"`
	Core     Core    `json:"core"`
	ClockMHz float64 `json:"clockMhz"`
	// RAMBytes and ROMBytes are the memory budgets (1 K = 1024 B).
	RAMBytes int `json:"ramBytes"`
	ROMBytes int `json:"romBytes"`
	// Accelerator names an NPU or matrix unit the estimate does not model.
	Accelerator string `json:"accelerator,omitempty"`
	// HasPerformance is false for Linux-class and NPU targets, for which
	// the package gives no estimate.
	HasPerformance bool `json:"hasPerformance"`
}

// millis returns the time cycles take at the target's clock, in
// milliseconds.
func (t Target) millis(cycles float64) float64 { return cycles / (t.ClockMHz * 1000) }

// DefaultTarget is the id of Studio's default profiling target.
const DefaultTarget = "cortex-m4f-80mhz"

func mcu(id, name string, core Core, mhz float64, ramKB, romKB int) Target {
	return Target{ID: id, Name: name, Core: core, ClockMHz: mhz, RAMBytes: ramKB * 1024, ROMBytes: romKB * 1024, HasPerformance: true}
}

func accel(t Target, a string) Target { t.Accelerator = a; return t }

func noPerf(id, name string) Target { return Target{ID: id, Name: name} }

// targets is the MCU table of device-estimates.md §1.1 (clocks and budgets
// from Edge Impulse material, MLPerf Tiny system descriptions or vendor
// datasheets, as marked there), followed by targets without estimates.
var targets = []Target{
	mcu("cortex-m4f-80mhz", "Cortex-M4F 80MHz", CortexM4, 80, 128, 1024),
	mcu("cortex-m7-216mhz", "Cortex-M7 216MHz", CortexM7, 216, 320, 1024),
	mcu("arduino-nano-33-ble", "Arduino Nano 33 BLE Sense (Cortex-M4F 64MHz)", CortexM4, 64, 256, 1024),
	mcu("nordic-nrf52840-dk", "Nordic nRF52840 DK (Cortex-M4F 64MHz)", CortexM4, 64, 256, 1024),
	mcu("particle-boron", "Particle Boron (Cortex-M4F 64MHz)", CortexM4, 64, 256, 1024),
	mcu("nordic-nrf5340-dk", "Nordic nRF5340 DK (Cortex-M33 128MHz)", CortexM33, 128, 512, 1024),
	mcu("nordic-nrf9160-dk", "Nordic nRF9160 DK (Cortex-M33 64MHz)", CortexM33, 64, 256, 1024),
	mcu("nordic-nrf9161-dk", "Nordic nRF9161 DK (Cortex-M33 64MHz)", CortexM33, 64, 256, 1024),
	mcu("nordic-nrf9151-dk", "Nordic nRF9151 DK (Cortex-M33 64MHz)", CortexM33, 64, 256, 1024),
	mcu("nordic-nrf54l15-dk", "Nordic nRF54L15 DK (Cortex-M33 128MHz)", CortexM33, 128, 256, 1524),
	mcu("st-iot-discovery-kit", "ST IoT Discovery Kit (Cortex-M4F 80MHz)", CortexM4, 80, 128, 1024),
	mcu("silabs-thunderboard-sense-2", "SiLabs Thunderboard Sense 2 (Cortex-M4F 40MHz)", CortexM4, 38.4, 256, 1024),
	accel(mcu("silabs-xg24", "SiLabs EFR32MG24 (Cortex-M33 78MHz)", CortexM33, 78, 256, 1536), "MVP"),
	mcu("sony-spresense", "Sony Spresense (Cortex-M4F 156MHz)", CortexM4, 156, 1536, 8192),
	mcu("infineon-cy8ckit-062s2", "Infineon CY8CKIT-062S2 (Cortex-M4F 150MHz)", CortexM4, 150, 1024, 2048),
	mcu("infineon-cy8ckit-062-ble", "Infineon CY8CKIT-062-BLE (Cortex-M4F 150MHz)", CortexM4, 150, 288, 1024),
	mcu("wio-terminal", "Seeed Wio Terminal (Cortex-M4F 120MHz)", CortexM4, 120, 192, 512),
	mcu("ti-launchxl", "TI LAUNCHXL-CC1352P (Cortex-M4F 48MHz)", CortexM4, 48, 80, 352),
	mcu("ambiq-apollo4", "Ambiq Apollo4 (Cortex-M4F 96MHz)", CortexM4, 96, 2816, 2048),
	mcu("arduino-nicla-vision-m4", "Arduino Nicla Vision M4 core (Cortex-M4F 240MHz)", CortexM4, 240, 1024, 2048),
	mcu("portenta-h7", "Arduino Portenta H7 (Cortex-M7 480MHz)", CortexM7, 480, 1024, 2048),
	mcu("arduino-nicla-vision", "Arduino Nicla Vision (Cortex-M7 480MHz)", CortexM7, 480, 1024, 2048),
	mcu("openmv-h7p", "OpenMV Cam H7 Plus (Cortex-M7 480MHz)", CortexM7, 480, 1024, 2048),
	mcu("renesas-ck-ra6m5", "Renesas CK-RA6M5 (Cortex-M33 200MHz)", CortexM33, 200, 512, 2048),
	mcu("brickml", "Reloc/Edge Impulse BrickML (Cortex-M33 200MHz)", CortexM33, 200, 512, 2048),
	mcu("raspberry-pi-rp2040", "Raspberry Pi RP2040 (Cortex-M0+ 133MHz)", CortexM0Plus, 133, 264, 2048),
	mcu("raspberry-pi-rp2350", "Raspberry Pi RP2350 (Cortex-M33 150MHz)", CortexM33, 150, 520, 4096),
	mcu("particle-p2", "Particle P2 (Cortex-M33 200MHz)", CortexM33, 200, 3072, 2048),
	mcu("renesas-ek-ra8d1", "Renesas EK-RA8D1 (Cortex-M85 480MHz)", CortexM85, 480, 1024, 2048),
	accel(mcu("alif-he", "Alif Ensemble E7 HE (Cortex-M55 160MHz)", CortexM55, 160, 2048, 4096), "Ethos-U55"),
	accel(mcu("alif-hp", "Alif Ensemble E7 HP (Cortex-M55 400MHz)", CortexM55, 400, 4096, 4096), "Ethos-U55"),
	mcu("ambiq-apollo5", "Ambiq Apollo5 (Cortex-M55 250MHz)", CortexM55, 250, 3072, 4096),
	mcu("st-stm32n6-cpu", "ST STM32N6 CPU only (Cortex-M55 800MHz)", CortexM55, 800, 4200, 0),
	mcu("espressif-esp32", "Espressif ESP-EYE (ESP32 240MHz)", ESP32, 240, 520, 4096),
	mcu("himax-we-i", "Himax WE-I Plus (ARC EM9D 400MHz)", ARCEM, 400, 2048, 0),
	noPerf("raspberry-pi-4", "Raspberry Pi 4"),
	noPerf("raspberry-pi-5", "Raspberry Pi 5"),
	noPerf("jetson-nano", "NVIDIA Jetson Nano"),
	noPerf("jetson-orin-nx", "NVIDIA Jetson Orin NX"),
	noPerf("ti-am62a", "TI AM62A"),
	noPerf("brainchip-akd1000", "BrainChip AKD1000"),
	noPerf("memryx-mx3", "MemryX MX3"),
	noPerf("synaptics-ka10000", "Synaptics KA10000"),
	noPerf("nxp-imx93-npu", "NXP i.MX 93 (NPU)"),
	noPerf("renesas-rzv2l", "Renesas RZ/V2L"),
	noPerf("renesas-rzv2h", "Renesas RZ/V2H"),
	noPerf("qualcomm-rb3-gen2", "Qualcomm RB3 Gen 2"),
}

// Targets returns a copy of the target table: the MCUs of
// device-estimates.md §1.1 (a ROM budget of 0 means external flash, not
// checked) and Linux/NPU targets with HasPerformance false.
func Targets() []Target { return append([]Target(nil), targets...) }

// LookupTarget returns the target with the given id (case-insensitive); ""
// means [DefaultTarget]. It returns an error wrapping [ErrUnknownTarget].
func LookupTarget(id string) (Target, error) {
	if id == "" {
		id = DefaultTarget
	}
	for _, t := range targets {
		if strings.EqualFold(t.ID, id) {
			return t, nil
		}
	}
	return Target{}, fmt.Errorf("target %q: %w", id, ErrUnknownTarget)
}
