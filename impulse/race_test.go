//go:build race

package impulse_test

// raceEnabled: under the race detector sync.Pool drops items at random, so
// allocation counts are meaningless.
const raceEnabled = true
