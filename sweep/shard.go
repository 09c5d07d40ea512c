package sweep

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Shard is one part of a sweep: part Index (from 0) of Count. The zero
// Shard, like any of Count 1, is the whole sweep.
type Shard struct{ Index, Count int }

// Whole reports whether s is the whole sweep.
func (s Shard) Whole() bool { return s.Count <= 1 }

func (s Shard) String() string {
	if s.Whole() {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Check reports a shard whose index is not in [0, Count).
func (s Shard) Check() error {
	if s.Count < 0 || s.Count == 0 && s.Index != 0 || s.Count > 0 && (s.Index < 0 || s.Index >= s.Count) {
		return fmt.Errorf("sweep: shard %d of %d: want an index from 0 to %d", s.Index, s.Count, max(s.Count-1, 0))
	}
	return nil
}

// ParseShard reads "i/N": part i (from 0) of N.
func ParseShard(text string) (Shard, error) {
	i, n, ok := strings.Cut(text, "/")
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || cnt < 1 {
		return Shard{}, fmt.Errorf("sweep: shard %q: want i/N, part i (from 0) of N parts, e.g. 3/10", text)
	}
	s := Shard{Index: idx, Count: cnt}
	return s, s.Check()
}

// IndexVars are the environment variables that give a shard's index, in
// the order ShardFromEnv reads them: Kubernetes Indexed Jobs and Slurm job
// arrays (whose array must then run from 0 to N-1).
var IndexVars = []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"}

// ShardFromEnv returns shard i of count, i read from the first of
// IndexVars that lookup finds; ok is false when none is set.
func ShardFromEnv(lookup func(string) (string, bool), count int) (s Shard, from string, ok bool, err error) {
	for _, v := range IndexVars {
		text, set := lookup(v)
		if !set {
			continue
		}
		i, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil {
			return Shard{}, v, true, fmt.Errorf("sweep: %s=%q is not a shard index", v, text)
		}
		if count < 1 {
			return Shard{}, v, true, fmt.Errorf("sweep: %s=%d gives the shard index; the number of shards is missing", v, i)
		}
		s = Shard{Index: i, Count: count}
		return s, v, true, s.Check()
	}
	return Shard{}, "", false, nil
}

// Indices returns, in increasing order, the point indices of shard s of a
// sweep of n points: the s.Index-th of s.Count nearly equal parts of a
// permutation of 0..n-1 shuffled with seed, so that every shard gets a
// like mix of cheap and costly points. The parts of all shards are
// disjoint and together hold every index once.
//
// The shuffle is Fisher–Yates over PCG(seed, 0): index i swaps with the
// one at PCG's next Uint64 modulo i+1, from the last down, so that any
// implementation of PCG reproduces it.
func (s Shard) Indices(n int, seed uint64) []int {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if s.Whole() {
		return all
	}
	rng := rand.NewPCG(seed, 0)
	for i := n - 1; i > 0; i-- {
		j := int(rng.Uint64() % uint64(i+1))
		all[i], all[j] = all[j], all[i]
	}
	part := slices.Clone(all[s.Index*n/s.Count : (s.Index+1)*n/s.Count])
	slices.Sort(part)
	return part
}
