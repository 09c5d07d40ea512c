package server

import (
	"slices"
	"testing"
)

// TestFlagsOfNamesTheFlags: the command line a prune or adapt job records
// uses the command line's names, not the JSON fields' where they differ.
func TestFlagsOfNamesTheFlags(t *testing.T) {
	line, set := flagsOf("prune", PruneRequest{Batch: 32, Calibration: 8, Limit: 100}, "lenet5")
	for json, flag := range jobFlagNames {
		if _, ok := set[json]; ok {
			t.Errorf("settings name the JSON field %s, not --%s: %v", json, flag, set)
		}
		if _, ok := set[flag]; !ok || !slices.Contains(line, "--"+flag) {
			t.Errorf("no --%s in %v", flag, line)
		}
	}
}
