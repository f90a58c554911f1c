package deploy_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/deploy"
)

// blockKey names a block type and version, e.g. "mfcc v4".
func blockKey(c *refCase) string {
	v := c.req.ImplementationVersion
	if v == 0 {
		v = 1
	}
	return fmt.Sprintf("%s v%d", strings.ReplaceAll(c.req.Block, "_", "-"), v)
}

// TestHostParity compiles the C runtime with the host's C compiler in both
// precisions, with -std=c99 -Wall -Wextra -Werror, and once more with
// AddressSanitizer and UndefinedBehaviorSanitizer, runs every reference
// case of Edge Impulse's DSP blocks through it and holds the features to
// each case's tolerance, as dsp's parity test holds the Go blocks. The
// float64 build gets the recorded tolerance; the float32 build gets it
// too where the reference computes in float32, and the reference's float32
// tolerance (rtol 1e-4, atol 1e-5·max(1, max|exp|)) where the reference
// computes in float64 with a tighter one. Two oracle cases hold float64
// rounding noise that float32 cannot reproduce (float32Noise); there the
// float32 build is held to the noise's magnitude. Every case must also stay inside
// the arena the Go side computes, which must equal what the C side
// reports, write no feature past its count and read only inside the
// window.
func TestHostParity(t *testing.T) {
	cases := loadRefCases(t)
	hostCC(t)
	type variant struct {
		p    deploy.Precision
		asan bool
	}
	variants := []variant{{deploy.Float32, false}, {deploy.Float64, false}, {deploy.Float32, true}, {deploy.Float64, true}}
	worst := map[deploy.Precision]map[string]float64{deploy.Float32: {}, deploy.Float64: {}}
	flips := map[deploy.Precision]map[string]int{deploy.Float32: {}, deploy.Float64: {}}
	used := map[string][2]int{} // arena bytes written, computed (float32 build)
	var mu sync.Mutex
	t.Run("builds", func(t *testing.T) {
		for _, v := range variants {
			name := v.p.String()
			if v.asan {
				name += "-asan"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				exe := buildDriver(t, cases, v.p, v.asan)
				res := runDriver(t, exe, cases)
				for i, c := range cases {
					c.checkMemory(t, v.p, res[i])
					if res[i].status != 0 {
						continue
					}
					u, f := c.compare(t, v.p, res[i].features)
					if v.asan {
						continue
					}
					mu.Lock()
					k := blockKey(c)
					worst[v.p][k] = math.Max(worst[v.p][k], u)
					flips[v.p][k] += f
					if v.p == deploy.Float32 {
						a := used[k]
						if int(res[i].used) > a[0] {
							used[k] = [2]int{int(res[i].used), c.block.ArenaBytes(v.p)}
						}
					}
					mu.Unlock()
				}
			})
		}
	})
	keys := make([]string, 0, len(worst[deploy.Float64]))
	for k := range worst[deploy.Float64] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "worst difference per block, as a fraction of the tolerance (float32 build / float64 build); float32 arena high-water mark / size\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-22s %8.3g (%d flips)  %8.3g (%d flips)  %6d / %6d B\n", k,
			worst[deploy.Float32][k], flips[deploy.Float32][k], worst[deploy.Float64][k], flips[deploy.Float64][k], used[k][0], used[k][1])
	}
	t.Log(b.String())
}
