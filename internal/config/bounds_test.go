package config

import (
	"testing"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/runs"
)

// TestBoundsMatchTheFunction: the function checks maxDelayMinutes and
// debounceMinutes in each message against the bounds of internal/runs, and
// dead-letters a message outside them as invalid. The config must allow no
// more than those bounds, or a row it accepted would never start. The two
// packages cannot share the constants: the stacks import config, and must
// not import the function's packages.
func TestBoundsMatchTheFunction(t *testing.T) {
	cases := []struct {
		name             string
		config, function int
	}{
		{"maxDelayMinutes at most", maxDelayMinutesLimit, runs.MaxMaxDelayMinutes},
		{"debounceMinutes at most", maxDebounceMinutes, runs.MaxDebounceMinutes},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.config != tc.function {
				t.Errorf("the config allows %d, the function %d", tc.config, tc.function)
			}
		})
	}
}
