package tune

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/impulse"
)

// testSpace is a compiled space of two root choices: value 0 activates a
// categorical dimension of 3 strings, value 1 an ordered one of 5 numbers.
func testSpace() *compiled {
	return &compiled{dims: []dim{
		{name: "root", values: []any{0, 1}, parent: -1},
		{name: "cat", values: []any{"a", "b", "c"}, parent: 0, parentValue: 0},
		{name: "num", values: []any{1.0, 2.0, 3.0, 4.0, 5.0}, ordered: true, parent: 0, parentValue: 1},
	}}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6 }

// TestDensityCategorical checks p(v) = (count(v) + w/n)/(N + w) by hand:
// values a, a, c of 3 with w = 1 give (2+1/3)/4, (1/3)/4 and (1+1/3)/4.
func TestDensityCategorical(t *testing.T) {
	c := testSpace()
	s := newSampler(c)
	obs := []observation{{p: point{0, 0, -1}}, {p: point{0, 0, -1}}, {p: point{0, 2, -1}}, {p: point{1, -1, 3}}}
	got := s.density(c.dims[1], 1, obs)
	want := []float64{7.0 / 12, 1.0 / 12, 1.0 / 3}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Fatalf("density = %v, want %v", got, want)
		}
	}
}

// TestDensityOrdered checks the Gaussian kernel by hand: one observation
// at the middle of 3 values spreads e^{-1/2}/Z, 1/Z, e^{-1/2}/Z with
// Z = 1 + 2e^{-1/2} = 2.2130613; with the prior, p = (k + 1/3)/2 =
// 0.3037010, 0.3925981, 0.3037010.
func TestDensityOrdered(t *testing.T) {
	c := &compiled{dims: []dim{{name: "n", values: []any{1.0, 2.0, 3.0}, ordered: true, parent: -1}}}
	got := newSampler(c).density(c.dims[0], 0, []observation{{p: point{1}}})
	want := []float64{0.3037010, 0.3925981, 0.3037010}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-7 {
			t.Fatalf("density = %v, want %v", got, want)
		}
	}
	// No observation: uniform.
	got = newSampler(c).density(c.dims[0], 0, nil)
	for _, v := range got {
		if !near(v, 1.0/3) {
			t.Fatalf("prior alone = %v, want 1/3 each", got)
		}
	}
}

// TestSplit checks the good share: ceil(0.2·n), at least one, stable.
func TestSplit(t *testing.T) {
	s := newSampler(testSpace())
	obs := []observation{{score: 0.5}, {score: 0.9, p: point{1}}, {score: 0.1}, {score: 0.9, p: point{2}}, {score: 0.3}, {score: 0.2}, {score: 0.8}}
	good, bad := s.split(obs)
	// ceil(0.2·7) = 2: the two 0.9s, in observation order.
	if len(good) != 2 || good[0].p[0] != 1 || good[1].p[0] != 2 || len(bad) != 5 {
		t.Fatalf("split: good %v, bad %v", good, bad)
	}
	good, _ = s.split(obs[:1])
	if len(good) != 1 {
		t.Fatalf("one observation: %d good, want 1", len(good))
	}
}

// TestRandom checks that random points set exactly the active dimensions
// and cover every value.
func TestRandom(t *testing.T) {
	c := testSpace()
	s := newSampler(c)
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[[3]int]bool{}
	for range 500 {
		p := s.random(rng)
		switch p[0] {
		case 0:
			if p[1] < 0 || p[1] > 2 || p[2] != -1 {
				t.Fatalf("point %v: root 0 activates cat only", p)
			}
		case 1:
			if p[1] != -1 || p[2] < 0 || p[2] > 4 {
				t.Fatalf("point %v: root 1 activates num only", p)
			}
		default:
			t.Fatalf("point %v: root out of range", p)
		}
		seen[[3]int{p[0], p[1], p[2]}] = true
	}
	if len(seen) != 8 {
		t.Errorf("500 draws gave %d distinct points of 8", len(seen))
	}
	if c.size() != 8 {
		t.Errorf("size = %v, want 3 + 5", c.size())
	}
}

// TestTPE checks that the sampler proposes the good region. Three trials
// with num = 5 (index 4) score 1, seven spread elsewhere score 0; good =
// ceil(0.2·10) = 2 observations, both at index 4. l/g of index 4 is then
// the largest of every value of num (hand check below), and of root 1
// against root 0 (every good observation has root 1).
func TestTPE(t *testing.T) {
	c := testSpace()
	s := newSampler(c)
	obs := []observation{
		{p: point{1, -1, 4}, score: 1}, {p: point{1, -1, 4}, score: 1}, {p: point{1, -1, 4}, score: 1},
		{p: point{1, -1, 0}}, {p: point{1, -1, 1}}, {p: point{1, -1, 0}},
		{p: point{0, 0, -1}}, {p: point{0, 1, -1}}, {p: point{0, 2, -1}}, {p: point{0, 0, -1}},
	}
	good, bad := s.split(obs)
	l, g := s.densities(good), s.densities(bad)
	// root: l = (2 + 1/2)/3 for 1 and (1/2)/3 for 0; g = (2+1/2)/9 for 1
	// (one 4, then 0, 1, 0 among the bad: 4 of root 1) — count them.
	if !near(l[0][1], 2.5/3) || !near(l[0][0], 0.5/3) {
		t.Fatalf("l(root) = %v, want [1/6 5/6]", l[0])
	}
	// bad: 8 observations, 4 with root 1 and 4 with root 0.
	if !near(g[0][1], 4.5/9) || !near(g[0][0], 4.5/9) {
		t.Fatalf("g(root) = %v, want [1/2 1/2]", g[0])
	}
	best, bestR := -1, math.Inf(-1)
	for v := range 5 {
		p := point{1, -1, v}
		if r := logRatio(p, l, g); r > bestR {
			best, bestR = v, r
		}
	}
	if best != 4 {
		t.Fatalf("the highest l/g is at num index %d, want 4", best)
	}
	for seed := range uint64(20) {
		p, ok := s.tpe(rand.New(rand.NewPCG(seed, 9)), obs, 1, func(point) bool { return true })
		if !ok || p[0] != 1 || p[2] != 4 {
			t.Errorf("seed %d: proposed %v, want [1 -1 4]", seed, p)
		}
	}
	// A filter that refuses the best point gets another one.
	p, ok := s.tpe(rand.New(rand.NewPCG(3, 9)), obs, 5, func(p point) bool { return p[2] != 4 })
	if !ok || p[2] == 4 {
		t.Errorf("with index 4 refused: proposed %v, %v", p, ok)
	}
	// A filter that refuses everything gives up.
	if _, ok := s.tpe(rand.New(rand.NewPCG(3, 9)), obs, 2, func(point) bool { return false }); ok {
		t.Error("tpe proposed a point its filter refused")
	}
}

// TestParetoFront checks the front by hand (objectives minimised:
// −accuracy, latency, RAM).
func TestParetoFront(t *testing.T) {
	pts := [][]float64{
		{-0.9, 10, 100},  // 0 front
		{-0.8, 5, 100},   // 1 front (fastest at 0.8)
		{-0.9, 12, 100},  // 2 dominated by 0
		{-0.7, 5, 200},   // 3 dominated by 1
		{-0.95, 20, 50},  // 4 front (most accurate, least RAM)
		{-0.9, 10, 100},  // 5 equal to 0: front too
		{-0.95, 20, 60},  // 6 dominated by 4
		{-0.5, 1, 1000},  // 7 front (fastest)
		{-0.94, 20, 100}, // 8 dominated by 4
	}
	got := paretoFront(pts)
	want := []int{0, 1, 4, 5, 7}
	if len(got) != len(want) {
		t.Fatalf("front %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("front %v, want %v", got, want)
		}
	}
	if !dominates([]float64{1, 1}, []float64{1, 2}) || dominates([]float64{1, 1}, []float64{1, 1}) || dominates([]float64{0, 2}, []float64{1, 1}) {
		t.Error("dominates is wrong")
	}
}

// TestThin checks the even spacing by hand: 10 rows thinned to 4 keep
// rows[0], rows[2], rows[5], rows[7] (⌊j·10/4⌋).
func TestThin(t *testing.T) {
	rows := []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	got := thin(rows, 4)
	want := []int{10, 12, 15, 17}
	for i := range want {
		if len(got) != 4 || got[i] != want[i] {
			t.Fatalf("thin = %v, want %v", got, want)
		}
	}
	if len(thin(rows, 0)) != 10 || len(thin(rows, 20)) != 10 {
		t.Error("thin must keep every row when n is 0 or at least the rows")
	}
}

// TestMaxWindows checks the work bound by hand: 60 epochs of a network of
// 800 000 MACs within 2·10⁹ leave ⌊2·10⁹/4.8·10⁷⌋ = 41 windows, raised to
// the floor of 200; 60 epochs of 90 000 MACs leave ⌊2·10⁹/5.4·10⁶⌋ = 370;
// 30 epochs of 1 000 MACs leave 66 666, lowered to MaxWindows.
func TestMaxWindows(t *testing.T) {
	def := func(epochs int) *impulse.Definition {
		return &impulse.Definition{Learn: map[int]*impulse.LearnParams{learnID: {Keras: &impulse.KerasParams{TrainingCycles: epochs}}}}
	}
	opt := Options{MaxWindows: 4000, MaxWork: 2e9}
	for _, c := range []struct {
		epochs int
		macs   float64
		want   int
	}{{60, 800000, 200}, {60, 90000, 370}, {30, 1000, 4000}, {10, 50000, 4000}, {100, 10000, 2000}} {
		got := maxWindows(opt, &candidate{def: def(c.epochs), est: Estimate{MACs: c.macs}})
		if got != c.want {
			t.Errorf("%d epochs of %v MACs: %d windows, want %d", c.epochs, c.macs, got, c.want)
		}
	}
	if got := maxWindows(Options{MaxWork: 2e9}, &candidate{def: def(100), est: Estimate{MACs: 1000}}); got != 20000 {
		t.Errorf("without MaxWindows: %d, want 20000", got)
	}
}
