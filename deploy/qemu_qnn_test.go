package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
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
