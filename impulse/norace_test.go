//go:build !race

package impulse_test

const raceEnabled = false
