//go:build !race

package app_test

// raceEnabled says the tests run under the race detector.
const raceEnabled = false
