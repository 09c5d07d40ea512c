package server

import (
	"slices"
	"testing"
)

// TestFlagsOfNamesTheFlags: the command line a prune or adapt job records
// uses the command line's names, not the JSON fields' where they differ.
func TestFlagsOfNamesTheFlags(t *testing.T) {
	for cmd, req := range map[string]any{
		"prune": PruneRequest{Batch: 32, Calibration: 8, Limit: 100, LR: 0.001},
		"adapt": AdaptRequest{Batch: 32, LR: 0.001, LongLR: 0.002, LongEpochs: 1},
	} {
		line, set := flagsOf(cmd, req, "lenet5")
		for json, flag := range jobFlagNames[cmd] {
			if _, ok := set[json]; ok {
				t.Errorf("%s: settings name the JSON field %s, not --%s: %v", cmd, json, flag, set)
			}
			if _, ok := set[flag]; !ok || !slices.Contains(line, "--"+flag) {
				t.Errorf("%s: no --%s in %v", cmd, flag, line)
			}
		}
	}
}
