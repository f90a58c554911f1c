package deploy_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/deploy"
)

// TestQEMUInt8Networks runs the int8 networks of TestHostInt8Networks on
// the emulated Cortex-M4F, built with the DSP extension's SIMD kernels
// (__smlad, __sxtb16) and with the plain C kernels (TI_NO_SIMD), and
// checks that every output and every quantised feature is bit for bit the
// host's (which TestHostInt8Networks holds to learn's ClassifyInt8).
func TestQEMUInt8Networks(t *testing.T) {
	arm := needARM(t)
	nets := quantizedNetworks(t)
	cnets := make([]*deploy.Network, len(nets))
	for i, n := range nets {
		cnets[i] = n.c
	}
	reqs, want := qRequests(t, nets, deploy.Float32)
	host := runQDriver(t, buildQDriver(t, cnets, deploy.Float32, false), reqs)
	for i := range reqs {
		if !bytes.Equal(int8Bytes(host[i]), int8Bytes(want[i])) {
			t.Fatalf("host request %d differs from Go (TestHostInt8Networks gives the details)", i)
		}
	}
	for _, v := range []struct {
		name string
		defs []string
	}{{"simd", nil}, {"plain", []string{"TI_NO_SIMD"}}} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srcs := writeRuntime(t, dir)
			if err := os.WriteFile(filepath.Join(dir, "qnets.c"), []byte(qnetsC(t, cnets)), 0o644); err != nil {
				t.Fatal(err)
			}
			copyTestdata(t, dir, "qdriver.c")
			srcs = append(srcs, filepath.Join(dir, "qnets.c"), filepath.Join(dir, "qdriver.c"))
			elf, _ := arm.link(t, dir, "qdriver", append([]string{"TI_SEMIHOST_FILES", deploy.Float32.Define()}, v.defs...), srcs...)
			// The SIMD build must use the dual multiply-accumulate, the
			// plain build must not.
			dis, err := exec.Command(arm.objdump(t), "-d", elf).Output()
			if err != nil {
				t.Fatal(err)
			}
			if has := bytes.Contains(dis, []byte("\tsmlad\t")); has != (v.name == "simd") {
				t.Fatalf("%s build: SMLAD instructions present: %v", v.name, has)
			}
			if err := os.WriteFile(filepath.Join(dir, "in.bin"), qDriverInput(reqs), 0o644); err != nil {
				t.Fatal(err)
			}
			arm.run(t, dir, elf, false)
			out, err := os.ReadFile(filepath.Join(dir, "out.bin"))
			if err != nil {
				t.Fatal(err)
			}
			emu := parseQDriver(t, out, reqs)
			bad := 0
			for i := range reqs {
				if !bytes.Equal(int8Bytes(emu[i]), int8Bytes(host[i])) {
					if bad++; bad <= 5 {
						t.Errorf("%s request %d: emulator %v, host %v", nets[reqs[i].net].name, i, emu[i], host[i])
					}
				}
			}
			t.Logf("%s kernels: %d requests, emulated Cortex-M4F outputs equal the host's bit for bit (%d differ)", v.name, len(reqs), bad)
		})
	}
}

// TestQEMUInt8Ops measures the int8 kernels on the emulated Cortex-M4F
// (SIMD build, GCC 12 -O2) on every operator shape of the MLPerf Tiny
// models that TensorFlow Lite Micro with CMSIS-NN was measured on
// (device-calibration-qemu-perop.csv: the same instruction counting in the
// same emulator), each output checked against the host's (which
// TestHostInt8Ops holds to the reference), and tabulates instructions per
// operator against TFLM's. The goal is at most 1.3 times TFLM's count on
// every shape.
func TestQEMUInt8Ops(t *testing.T) {
	arm := needARM(t)
	shapes := tflmShapes(t)
	nets, measured := measuredNets(t, arm)
	var b strings.Builder
	fmt.Fprintf(&b, "int8 kernels on the Cortex-M4F (QEMU mps2-an386, GCC 12 -O2) against TFLM + CMSIS-NN (device-calibration-qemu-perop.csv)\n")
	fmt.Fprintf(&b, "%-52s %9s %10s %10s %6s %8s\n", "operator", "MACs", "TFLM", "ours", "ratio", "insn/MAC")
	worst := 0.0
	for i, o := range shapes {
		if nets[i].name != o.name {
			t.Fatalf("calibration network %d is %s, want %s", i, nets[i].name, o.name)
		}
		op := measured[i].ops[0]
		ratio := float64(op) / o.tflm
		worst = math.Max(worst, ratio)
		perMAC := ""
		if o.macs > 0 {
			perMAC = fmt.Sprintf("%.2f", float64(op)/o.macs)
		}
		fmt.Fprintf(&b, "%-52s %9.0f %10.0f %10d %6.2f %8s\n", o.name, o.macs, o.tflm, op, ratio, perMAC)
		if ratio > 1.3 {
			t.Errorf("%s: %d instructions, %.2f× TFLM + CMSIS-NN's %.0f (goal: at most 1.3×)", o.name, op, ratio, o.tflm)
		}
	}
	fmt.Fprintf(&b, "largest ratio %.2f\n", worst)
	t.Log(b.String())
}
