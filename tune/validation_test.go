package tune

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tinyimpulse/tinyimpulse/dataset"
)

// foldSamples are two labels' samples, named as a vibration dataset's
// pieces of recordings (p020s0 … the three pieces of the recording at
// 20 %) and listed out of name order.
func foldSamples() []*dataset.Sample {
	var out []*dataset.Sample
	for _, l := range []string{"b", "a"} {
		for _, speed := range []int{90, 20, 50, 30, 70, 40} {
			for piece := range 3 {
				out = append(out, &dataset.Sample{ID: len(out) + 1, Name: fmt.Sprintf("%s.p%03ds%d", l, speed, piece), Label: l})
			}
		}
	}
	return out
}

// Blocked folds: each label's samples in name order, cut into contiguous
// blocks of equal size that keep each recording's pieces together; the
// seed turns the fold numbers; every fold holds both labels.
func TestFoldsBlocked(t *testing.T) {
	samples := foldSamples()
	byName := map[string]int{}
	for _, s := range samples {
		byName[s.Name] = s.ID
	}
	for seed := range uint64(3) {
		assign, k := folds(samples, Validation{Folds: 3, Seed: seed, Blocked: true})
		if k != 3 {
			t.Fatalf("%d folds", k)
		}
		for _, l := range []string{"a", "b"} {
			// In name order: speeds 20 30 | 40 50 | 70 90, two recordings a fold.
			for i, speed := range []int{20, 30, 40, 50, 70, 90} {
				want := (i/2 + int(seed)) % 3
				for piece := range 3 {
					if got := assign[byName[fmt.Sprintf("%s.p%03ds%d", l, speed, piece)]]; got != want {
						t.Errorf("seed %d: %s.p%03ds%d in fold %d, want %d", seed, l, speed, piece, got, want)
					}
				}
			}
		}
	}
	// Four folds of 18 pieces: the cuts (at 4.5, 9 and 13.5 pieces) move
	// to the ends of the recordings they would part.
	assign, _ := folds(samples, Validation{Folds: 4, Blocked: true})
	for _, s := range samples {
		rec := s.Name[:len(s.Name)-1]
		for _, o := range samples {
			if o.Name[:len(o.Name)-1] == rec && assign[o.ID] != assign[s.ID] {
				t.Errorf("4 folds part recording %s: %s in fold %d, %s in fold %d", rec, s.Name, assign[s.ID], o.Name, assign[o.ID])
			}
		}
	}
	// One split of a fifth: about five blocks, the seed's held out.
	for seed := range uint64(5) {
		assign, k := folds(samples, Validation{Fraction: 0.2, Seed: seed, Blocked: true})
		var held []string
		for _, s := range samples {
			if assign[s.ID] == 0 && s.Label == "a" {
				held = append(held, s.Name)
			} else if assign[s.ID] != -1 && assign[s.ID] != 0 {
				t.Fatalf("sample %s: fold %d in a single split", s.Name, assign[s.ID])
			}
		}
		slices.Sort(held)
		if k != 1 || len(held) < 3 || len(held) > 6 || held[0][len(held[0])-1] != '0' || held[len(held)-1][len(held[0])-1] != '2' {
			t.Errorf("seed %d: label a holds out %v; want one or two whole recordings", seed, held)
		}
	}
}

// Grouped folds (the default): the three pieces of a recording always
// share a fold; each fold gets two of each label's six recordings; the
// seed shuffles which; a single split holds out whole recordings, about
// the fraction asked.
func TestFoldsGrouped(t *testing.T) {
	samples := foldSamples()
	rec := func(s *dataset.Sample) string { return s.Name[:len(s.Name)-1] }
	distinct := map[string]bool{}
	for seed := range uint64(4) {
		assign, k := folds(samples, Validation{Folds: 3, Seed: seed})
		again, _ := folds(samples, Validation{Folds: 3, Seed: seed})
		if k != 3 || fmt.Sprint(assign) != fmt.Sprint(again) {
			t.Fatalf("seed %d: %d folds, or two calls differ", seed, k)
		}
		perFold := map[string]int{}
		fold := map[string]int{}
		for _, s := range samples {
			f, ok := assign[s.ID]
			if !ok || f < 0 || f > 2 {
				t.Fatalf("seed %d: %s in fold %d (%v)", seed, s.Name, f, ok)
			}
			if g, ok := fold[rec(s)]; ok && g != f {
				t.Errorf("seed %d: recording %s parted between folds %d and %d", seed, rec(s), g, f)
			}
			fold[rec(s)] = f
			perFold[fmt.Sprint(s.Label, f)]++
		}
		for _, l := range []string{"a", "b"} {
			for f := range 3 {
				if n := perFold[fmt.Sprint(l, f)]; n != 6 {
					t.Errorf("seed %d: label %s has %d samples in fold %d, want 6", seed, l, n, f)
				}
			}
		}
		distinct[fmt.Sprint(assign)] = true
		// One split of a fifth: 18 × 0.2 = 3.6 samples of each label, so
		// two whole recordings (the first reaches only 3).
		split, _ := folds(samples, Validation{Fraction: 0.2, Seed: seed})
		held := map[string]int{}
		for _, s := range samples {
			if split[s.ID] == 0 {
				held[rec(s)]++
			} else if split[s.ID] != -1 {
				t.Fatalf("seed %d: %s in fold %d of a single split", seed, s.Name, split[s.ID])
			}
		}
		if len(held) != 4 {
			t.Errorf("seed %d: single split holds out %v, want two recordings of each label", seed, held)
		}
		for r, n := range held {
			if n != 3 {
				t.Errorf("seed %d: %d of the 3 pieces of %s held out", seed, n, r)
			}
		}
	}
	if len(distinct) < 2 {
		t.Errorf("four seeds give the same folds")
	}
	// A label of one recording is split piece by piece.
	one := []*dataset.Sample{{ID: 1, Name: "a.r1", Label: "a"}, {ID: 2, Name: "a.r2", Label: "a"}, {ID: 3, Name: "a.r3", Label: "a"},
		{ID: 4, Name: "b.x", Label: "b"}, {ID: 5, Name: "b.y", Label: "b"}, {ID: 6, Name: "b.z", Label: "b"}}
	assign, _ := folds(one, Validation{Folds: 3, Seed: 1})
	seen := map[int]bool{}
	for id := 1; id <= 3; id++ {
		seen[assign[id]] = true
	}
	if len(seen) != 3 {
		t.Errorf("label a's one recording: folds %v, want one piece in each", assign)
	}
}

// Shuffled folds take the samples at random: round robin after a shuffle
// by the seed, the same for the same seed.
func TestFoldsShuffled(t *testing.T) {
	samples := foldSamples()
	a, _ := folds(samples, Validation{Folds: 3, Seed: 1, Shuffle: true})
	b, _ := folds(samples, Validation{Folds: 3, Seed: 1, Shuffle: true})
	c, _ := folds(samples, Validation{Folds: 3, Seed: 2, Shuffle: true})
	count := [3]int{}
	parted := 0
	for _, s := range samples {
		if a[s.ID] != b[s.ID] {
			t.Fatalf("the same seed gives different folds")
		}
		count[a[s.ID]]++
		if s.Name[len(s.Name)-1] == '1' && a[s.ID] != a[s.ID-1] {
			parted++
		}
	}
	if count != [3]int{12, 12, 12} {
		t.Errorf("fold sizes %v, want 12 each", count)
	}
	if parted == 0 || fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("shuffled folds keep recordings together or ignore the seed")
	}
}

// recording: what remains of a name without its label and trailing number.
func TestRecording(t *testing.T) {
	for _, c := range []struct{ label, name, want string }{
		{"wconf1", "wconf1.p020s2", "p020s"},
		{"down", "down.0cb74144_nohash_1", "0cb74144_nohash_"},
		{"0", "0.0010", ""},
		{"idle", "idle.65vvfcfv", "idle.65vvfcfv"[5:]},
		{"x", "session2-017", "session2-"},
	} {
		if got := recording(&dataset.Sample{Label: c.label, Name: c.name}); got != c.want {
			t.Errorf("recording(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
