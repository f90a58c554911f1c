package deploy_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/deploy"
	"github.com/tinyimpulse/tinyimpulse/learn"
)

// benchNet is a network to measure on the emulator, its input drawn from
// the harness's generator with seed.
type benchNet struct {
	name string
	g    *learn.Graph
	c    *deploy.Network
	seed uint32
}

// netMeasure is what the emulator measured for one network: instructions
// per operator (ticks × 40, so within 40 of the truth) and of the whole
// run, and the hash of its outputs.
type netMeasure struct {
	status int
	total  int64
	ops    []int64
	hash   uint32
}

// fnv32 is the harness's FNV-1a hash.
func fnv32(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// benchInput returns a network's input as the harness generates it: int8
// values (the generator's top byte), or float32 values in [-1, 1).
func benchInput(n benchNet) (q []int8, f []float64) {
	r := lcg(n.seed)
	in := n.g.Tensors[n.g.Input].Elements()
	if n.c.Int8() {
		q = make([]int8, in)
		for i := range q {
			q[i] = r.int8()
		}
		return q, nil
	}
	f = make([]float64, in)
	for i := range f {
		f[i] = float64(float32(int32(r.next()>>8)-8388608) * (1.0 / 8388608))
	}
	return nil, f
}

// measureNets builds testdata/arm/measure_nets.c with the networks and the
// runtime (TI_PROFILE: per-operator timing) for the Cortex-M4F and runs it
// on the emulator under -icount.
func measureNets(t *testing.T, arm armTools, nets []benchNet, defs ...string) []netMeasure {
	t.Helper()
	dir := t.TempDir()
	srcs := writeRuntime(t, dir)
	var qs, fs []benchNet
	var b strings.Builder
	b.WriteString("#include \"ti_model.h\"\n")
	arena, maxIn, maxOut, maxOps := 8, 8, 8, 1
	var qNames, qSeeds, fNames, fSeeds []string
	for i, n := range nets {
		name := fmt.Sprintf("bnet%d", i)
		src, err := n.c.CSource(name)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(src)
		elem := 4
		if n.c.Int8() {
			elem = 1
			qs = append(qs, n)
			qNames, qSeeds = append(qNames, "&"+name), append(qSeeds, fmt.Sprintf("%du", n.seed))
		} else {
			fs = append(fs, n)
			fNames, fSeeds = append(fNames, "&"+name), append(fSeeds, fmt.Sprintf("%du", n.seed))
		}
		arena = max(arena, n.c.ArenaBytes())
		maxIn = max(maxIn, elem*n.c.Inputs())
		maxOut = max(maxOut, elem*n.c.Outputs())
		maxOps = max(maxOps, len(n.g.Ops))
	}
	fmt.Fprintf(&b, "const ti_qnetwork *const ti_qnets[] = {%s};\nconst uint32_t ti_qseeds[] = {%s};\n",
		strings.Join(append(qNames, "NULL"), ", "), strings.Join(append(qSeeds, "0"), ", "))
	fmt.Fprintf(&b, "const ti_network *const ti_fnets[] = {%s};\nconst uint32_t ti_fseeds[] = {%s};\n",
		strings.Join(append(fNames, "NULL"), ", "), strings.Join(append(fSeeds, "0"), ", "))
	fmt.Fprintf(&b, "const uint32_t ti_n_qnets = %du, ti_n_fnets = %du;\n", len(qs), len(fs))
	hdr := fmt.Sprintf("#define ARENA %d\n#define MAX_IN %d\n#define MAX_OUT %d\n#define MAX_OPS %d\n", arena, maxIn, maxOut, maxOps)
	for file, text := range map[string]string{"nets.c": b.String(), "measure_nets.h": hdr} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyTestdata(t, dir, "arm/measure_nets.c")
	srcs = append(srcs, filepath.Join(dir, "nets.c"), filepath.Join(dir, "measure_nets.c"))
	elf, _ := arm.link(t, dir, "measure_nets", append([]string{"TI_PROFILE", deploy.Float32.Define()}, defs...), srcs...)
	out := arm.run(t, dir, elf, true)

	res := map[string]*netMeasure{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 9 && f[0] == "net":
			m := &netMeasure{}
			m.status, _ = strconv.Atoi(f[4])
			total, _ := strconv.ParseInt(f[6], 10, 64)
			m.total = total * 40
			h, _ := strconv.ParseUint(f[8], 16, 32)
			m.hash = uint32(h)
			res[f[1]+f[2]] = m
		case len(f) == 5 && f[0] == "op":
			m := res[f[1]+f[2]]
			if m == nil {
				t.Fatalf("op line before its net: %q", line)
			}
			ticks, _ := strconv.ParseInt(f[4], 10, 64)
			m.ops = append(m.ops, ticks*40)
		}
	}
	var ms []netMeasure
	qi, fi := 0, 0
	for _, n := range nets {
		key := fmt.Sprintf("f%d", fi)
		if n.c.Int8() {
			key = fmt.Sprintf("q%d", qi)
			qi++
		} else {
			fi++
		}
		m := res[key]
		if m == nil {
			t.Fatalf("the harness printed nothing for %s (%s)\n%s", n.name, key, out)
		}
		if m.status != 0 {
			t.Fatalf("%s: status %d on the emulator", n.name, m.status)
		}
		ms = append(ms, *m)
	}
	return ms
}

// hostHashes runs the networks on the host (qdriver, modeldriver) on the
// harness's inputs and returns the hashes of their outputs.
func hostHashes(t *testing.T, nets []benchNet) []uint32 {
	t.Helper()
	var qnets []*deploy.Network
	var qreqs []qReq
	var fnets []modelNet
	var freqs []modelReq
	for _, n := range nets {
		q, f := benchInput(n)
		if n.c.Int8() {
			qreqs = append(qreqs, qReq{net: len(qnets), in: q, outputs: n.c.Outputs()})
			qnets = append(qnets, n.c)
		} else {
			freqs = append(freqs, modelReq{0, len(fnets), f, n.c.Outputs()})
			fnets = append(fnets, modelNet{name: n.name, c: n.c})
		}
	}
	var qout [][]int8
	var fout [][]float64
	if len(qnets) > 0 {
		qout = runQDriver(t, buildQDriver(t, qnets, deploy.Float32, false), qreqs)
	}
	if len(fnets) > 0 {
		fout = runModelDriver(t, buildModelDriver(t, fnets, nil, nil, deploy.Float32, false), freqs)
	}
	var hs []uint32
	qi, fi := 0, 0
	for _, n := range nets {
		if n.c.Int8() {
			hs = append(hs, fnv32(int8Bytes(qout[qi])))
			qi++
			continue
		}
		var b []byte
		for _, v := range fout[fi] {
			u := math.Float32bits(float32(v))
			b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
		}
		hs = append(hs, fnv32(b))
		fi++
	}
	return hs
}
