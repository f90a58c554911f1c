package deploy_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/deploy"
)

// armTools are the cross compiler and emulator of the Cortex-M4F checks
// (Debian's gcc-arm-none-eabi, libnewlib-arm-none-eabi and
// qemu-system-arm; ../shared/spec/cortex-m-emulation.md).
type armTools struct {
	gcc, size, qemu string
}

// needARM returns the tools, or skips the test when one is absent.
func needARM(t *testing.T) armTools {
	t.Helper()
	var a armTools
	var err error
	for _, p := range []struct {
		dst  *string
		name string
	}{{&a.gcc, "arm-none-eabi-gcc"}, {&a.size, "arm-none-eabi-size"}, {&a.qemu, "qemu-system-arm"}} {
		if *p.dst, err = exec.LookPath(p.name); err != nil {
			t.Skipf("%s not found: the Cortex-M4F emulation checks need gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm", p.name)
		}
	}
	return a
}

// objdump returns arm-none-eabi-objdump (binutils-arm-none-eabi, which
// gcc-arm-none-eabi depends on).
func (a armTools) objdump(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("arm-none-eabi-objdump")
	if err != nil {
		t.Skip("arm-none-eabi-objdump not found: the Cortex-M4F checks need binutils-arm-none-eabi")
	}
	return p
}

// armFlags build for the Cortex-M4F with its single-precision FPU.
var armFlags = []string{"-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard", "-O2", "-ffunction-sections", "-fdata-sections"}

// copyTestdata copies files of testdata into dir.
func copyTestdata(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(n)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// armLink compiles and links srcs (and startup.c) into dir/name.elf for
// the mps2-an386 board with newlib's semihosting library, writing the
// linker map to dir/name.map.
func (a armTools) link(t *testing.T, dir, name string, defs []string, srcs ...string) (elf, mapFile string) {
	t.Helper()
	copyTestdata(t, dir, "arm/startup.c", "arm/mps2.ld")
	elf, mapFile = filepath.Join(dir, name+".elf"), filepath.Join(dir, name+".map")
	args := append([]string{}, cflags...)
	args = append(args, armFlags...)
	for _, d := range defs {
		args = append(args, "-D"+d)
	}
	startup := a.compile(t, nil, filepath.Join(dir, "startup.c"), filepath.Join(dir, "startup.o"))
	args = append(args, "-I", dir, "-T", filepath.Join(dir, "mps2.ld"), "--specs=rdimon.specs",
		"-Wl,--gc-sections", "-Wl,-Map="+mapFile, "-o", elf, startup)
	args = append(args, srcs...)
	args = append(args, "-lm")
	if out, err := exec.Command(a.gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", a.gcc, strings.Join(args, " "), err, out)
	}
	return elf, mapFile
}

// run runs elf on the emulated mps2-an386 in dir (semihosting files are
// relative to it) and returns what it printed. With icount, QEMU's clock
// advances 1 ns per instruction, so the board's 25 MHz timer ticks once
// per 40 instructions.
func (a armTools) run(t *testing.T, dir, elf string, icount bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"-M", "mps2-an386", "-nographic", "-monitor", "none", "-serial", "none",
		"-semihosting-config", "enable=on,target=native", "-kernel", elf}
	if icount {
		args = append(args, "-icount", "shift=0")
	}
	cmd := exec.CommandContext(ctx, a.qemu, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", a.qemu, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// TestQEMUParity runs every reference case through the runtime built for
// the Cortex-M4F on the emulated mps2-an386 board, in both precisions (the
// float64 build with the compiler's software double arithmetic), and checks
// that each feature, status and arena figure is bit for bit what the
// host's build of the same precision computes (which TestHostParity holds
// to Edge Impulse's references).
func TestQEMUParity(t *testing.T) {
	arm := needARM(t)
	cases := loadRefCases(t)
	for _, p := range []deploy.Precision{deploy.Float32, deploy.Float64} {
		t.Run(p.String(), func(t *testing.T) {
			host := runDriver(t, buildDriver(t, cases, p, false), cases)
			dir := t.TempDir()
			srcs := writeRuntime(t, dir)
			if err := os.WriteFile(filepath.Join(dir, "cases.c"), []byte(casesC(t, cases, p)), 0o644); err != nil {
				t.Fatal(err)
			}
			copyTestdata(t, dir, "dspdriver.c")
			srcs = append(srcs, filepath.Join(dir, "cases.c"), filepath.Join(dir, "dspdriver.c"))
			elf, _ := arm.link(t, dir, "dspdriver", []string{"TI_SEMIHOST_FILES", p.Define()}, srcs...)
			if err := os.WriteFile(filepath.Join(dir, "in.bin"), driverInput(cases), 0o644); err != nil {
				t.Fatal(err)
			}
			arm.run(t, dir, elf, false)
			out, err := os.ReadFile(filepath.Join(dir, "out.bin"))
			if err != nil {
				t.Fatal(err)
			}
			emu := parseDriverOutput(t, out, cases)
			for i, c := range cases {
				h, e := host[i], emu[i]
				if h.status != e.status || h.cArena != e.cArena || h.used != e.used || h.flags != e.flags || h.bad != e.bad {
					t.Errorf("%s: emulator status %d, arena %d, used %d, flags %d, bad %b; host %d, %d, %d, %d, %b",
						c.ID, e.status, e.cArena, e.used, e.flags, e.bad, h.status, h.cArena, h.used, h.flags, h.bad)
					continue
				}
				for j := range h.features {
					if math.Float64bits(h.features[j]) != math.Float64bits(e.features[j]) {
						t.Errorf("%s: feature %d: emulator %v, host %v", c.ID, j, e.features[j], h.features[j])
						break
					}
				}
			}
			t.Logf("%d cases: emulated Cortex-M4F outputs equal the host's bit for bit", len(cases))
		})
	}
}
