//go:build race

package learn

// raceEnabled: under the race detector sync.Pool drops items at random, so
// allocation counts are meaningless.
const raceEnabled = true
