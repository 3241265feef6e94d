//go:build !race

package rules_test

// raceDetector is true when the tests run under -race.
const raceDetector = false
