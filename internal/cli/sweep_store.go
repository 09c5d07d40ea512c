package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/sweep"
)

// collectShard reads the shard of --collect and --emit-k8s-job: --shard
// i/N or the whole sweep; --shards N is then a count, not a request for the
// index from the environment.
func collectShard(f *sweepFlags) (sweep.Shard, error) {
	if f.shards < 0 {
		return sweep.Shard{}, usagef("sweep: --shards must not be negative, got %d", f.shards)
	}
	if f.shard == "" {
		return sweep.Shard{}, nil
	}
	s, err := sweep.ParseShard(f.shard)
	if err != nil {
		return sweep.Shard{}, usagef("sweep: --shard: %s", strings.TrimPrefix(err.Error(), "sweep: "))
	}
	return s, nil
}

// missingError names the points of res missing from the store and, with a
// number of shards, the shards that hold them.
func missingError(s *sweep.Sweep, res *sweep.Result, shards int) error {
	var ids []string
	for _, i := range res.Missing {
		ids = append(ids, s.Points[i].ID)
	}
	if len(ids) > 10 {
		ids = append(ids[:10], "...")
	}
	msg := fmt.Sprintf("sweep: %d of %d points are not in the results store (%s)", len(res.Missing), len(res.Missing)+len(res.Points), strings.Join(ids, " "))
	if shards > 1 {
		missing := map[int]bool{}
		for _, i := range res.Missing {
			missing[i] = true
		}
		var parts []string
		for k := range shards {
			for _, i := range (sweep.Shard{Index: k, Count: shards}).Indices(len(s.Points), s.ShardSeed) {
				if missing[i] {
					parts = append(parts, itoa(k))
					break
				}
			}
		}
		if len(parts) == 1 {
			msg += fmt.Sprintf("; run shard %s of %d again (--shard %s/%d)", parts[0], shards, parts[0], shards)
		} else {
			msg += fmt.Sprintf("; run shards %s of %d again (--shard i/%d)", strings.Join(parts, ", "), shards, shards)
		}
	} else {
		msg += "; run their shards again (--collect --shards N names them)"
	}
	return fmt.Errorf("%s", msg)
}

// writeStoreLine says what the results store gave a sweep.
func writeStoreLine(w io.Writer, rep *report.Sweep) {
	st := rep.Store
	switch {
	case st == nil:
	case st.Collected:
		fmt.Fprintf(w, "collected from the results store (run key %s): %d of %d points, %d missing\n", st.RunKey[:12], st.Stored,
			st.Stored+len(st.Missing), len(st.Missing))
	case st.Stored > 0:
		fmt.Fprintf(w, "%d of %d points taken from the results store (run key %s), the others evaluated\n", st.Stored, len(rep.Points), st.RunKey[:12])
	}
}
