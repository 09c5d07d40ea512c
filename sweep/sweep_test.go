package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/workload"
)

func mustParse(t *testing.T, src string) *Sweep {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		var list yamlspec.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				t.Error(e)
			}
		}
		t.Fatal(err)
	}
	return s
}

const head = "version: 1\nname: t\narch: eyeriss\nnetworks: [lenet5]\n"

// labels returns the labels of the points in order.
func labels(s *Sweep) []string {
	var out []string
	for i := range s.Points {
		out = append(out, s.Label(&s.Points[i]))
	}
	return out
}

func TestExpandOrderAndCounts(t *testing.T) {
	tests := []struct {
		name     string
		params   string
		extra    string
		combos   int
		excluded int
		want     []string
	}{{
		name:   "no parameters: the base",
		combos: 1, want: []string{""},
	}, {
		name: "the last axis turns fastest",
		params: `  - {name: a, values: [1, 2]}
  - {name: b, values: [x, y, z]}`,
		combos: 6, want: []string{"a=1 b=x", "a=1 b=y", "a=1 b=z", "a=2 b=x", "a=2 b=y", "a=2 b=z"},
	}, {
		name: "a zip is one axis",
		params: `  - zip:
      - {name: x, key: levels.RF.mesh.x, values: [7, 14]}
      - {name: y, key: levels.RF.mesh.y, values: [6, 12]}
  - {name: c, key: clock_mhz, values: [100, 200]}`,
		combos: 4, want: []string{"x=7 y=6 c=100", "x=7 y=6 c=200", "x=14 y=12 c=100", "x=14 y=12 c=200"},
	}, {
		name: "ranges by step and by factor",
		params: `  - {name: s, range: {from: 0.1, to: 0.3, step: 0.1}}
  - {name: f, key: levels.GLB.size_words, range: {from: 8192, to: 40000, factor: 2}}`,
		combos: 9, want: []string{"s=0.1 f=8192", "s=0.1 f=16384", "s=0.1 f=32768", "s=0.2 f=8192", "s=0.2 f=16384", "s=0.2 f=32768",
			"s=0.3 f=8192", "s=0.3 f=16384", "s=0.3 f=32768"},
	}, {
		name: "constraints leave combinations out",
		params: `  - {name: x, key: levels.RF.mesh.x, range: {from: 4, to: 32, factor: 2}}
  - {name: y, key: levels.RF.mesh.y, range: {from: 4, to: 32, factor: 2}}`,
		extra: `derived:
  - {name: pes, expr: "x*y"}
constraints:
  - "x >= y"
  - "pes <= 256"`,
		combos: 16, excluded: 8, want: []string{"x=4 y=4", "x=8 y=4", "x=8 y=8", "x=16 y=4", "x=16 y=8", "x=16 y=16", "x=32 y=4", "x=32 y=8"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head
			if tt.params != "" {
				src += "parameters:\n" + tt.params + "\n"
			}
			src += tt.extra
			s := mustParse(t, src)
			if s.Combinations != tt.combos || s.Excluded != tt.excluded || len(s.Points) != tt.combos-tt.excluded {
				t.Errorf("%d combinations, %d excluded, %d points; want %d, %d", s.Combinations, s.Excluded, len(s.Points), tt.combos, tt.excluded)
			}
			if len(tt.want) > 0 {
				if diff := cmp.Diff(tt.want, labels(s)); diff != "" {
					t.Errorf("points (-want +got):\n%s", diff)
				}
			}
			for i, p := range s.Points {
				if p.Index != i {
					t.Errorf("point %d has index %d", i, p.Index)
				}
			}
			// Expansion is deterministic.
			again := mustParse(t, src)
			if diff := cmp.Diff(s.Points, again.Points, cmp.AllowUnexported(Value{})); diff != "" {
				t.Errorf("a second expansion differs:\n%s", diff)
			}
		})
	}
}

// The constraint test above checks counts; here every kept point is one
// the constraints allow, and every allowed combination is kept.
func TestConstraintsKeepExactlyTheAllowed(t *testing.T) {
	s := mustParse(t, head+`parameters:
  - {name: x, range: {from: 1, to: 9, step: 1}}
  - {name: y, range: {from: 1, to: 9, step: 1}}
derived:
  - {name: area, expr: "x*y + x % 3"}
constraints:
  - "area <= 30"
  - "x != y"
`)
	var want []string
	for x := 1; x <= 9; x++ {
		for y := 1; y <= 9; y++ {
			if x*y+x%3 <= 30 && x != y {
				want = append(want, "x="+strconv.Itoa(x)+" y="+strconv.Itoa(y))
			}
		}
	}
	if diff := cmp.Diff(want, labels(s)); diff != "" {
		t.Errorf("points (-want +got):\n%s", diff)
	}
	if s.Excluded != 81-len(want) {
		t.Errorf("excluded %d, want %d", s.Excluded, 81-len(want))
	}
}

func TestPointIDs(t *testing.T) {
	a := mustParse(t, head+"parameters:\n  - {name: x, values: [1, 2, 3]}\n  - {name: y, values: [a, b]}\n")
	b := mustParse(t, head+"parameters:\n  - {name: y, values: [b, c, a]}\n  - {name: x, values: [3, 1]}\n")
	ids := map[string]string{}
	for i := range a.Points {
		p := &a.Points[i]
		if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(p.ID) {
			t.Errorf("ID %q", p.ID)
		}
		if o, dup := ids[p.ID]; dup {
			t.Errorf("%s and %s share ID %s", o, a.Label(p), p.ID)
		}
		ids[p.ID] = p.Values[0].Text + p.Values[1].Text
	}
	// The same values give the same ID, whatever the order of the
	// parameters and of their values.
	for i := range b.Points {
		p := &b.Points[i]
		key := p.Values[1].Text + p.Values[0].Text
		if got, ok := ids[p.ID]; ok && got != key {
			t.Errorf("ID %s is %s in one sweep and %s in the other", p.ID, got, key)
		}
		if _, ok := ids[p.ID]; !ok && key != "3c" && key != "1c" {
			t.Errorf("point %s has a new ID %s", key, p.ID)
		}
	}
	if a.Point(a.Points[3].ID) != &a.Points[3] || a.Point("nope") != nil {
		t.Error("Point does not find points by ID")
	}
}

func TestDesign(t *testing.T) {
	s := mustParse(t, `version: 1
name: design
arch: testdata/base.yaml
networks: [lenet5]
mapper: {method: builder, dataflow: rs}
parameters:
  - {name: x, key: levels.RF.mesh.x, values: [7]}
  - {name: keeps, key: levels.GLB.keeps, values: [[Inputs, Outputs]]}
  - {name: mc, key: levels.RF.network.multicast, values: [false]}
  - {name: wbw, key: levels.RF.network.bandwidth_words.Weights, values: [2.5]}
  - {name: db, key: data_bits.Weights, values: [8]}
  - {name: simd, key: compute.mesh, values: [[2, 1]]}
  - {name: budget, key: mapper.max_evaluations, values: [123]}
  - {name: df, key: mapper.dataflow, values: [ws, best]}
  - {name: rfw, key: levels.RF.partition_words.Weights, values: [16, 100]}
  - {name: conv, key: conventions, values: [timeloop]}
  - {name: rbw, key: levels.GLB.read_bandwidth_words, values: [3]}
  - {name: wrbw, key: levels.GLB.write_bandwidth_words, values: [1.5]}
  - {name: cl, key: levels.RF.cluster_size, values: [4]}
  - {name: lk, key: levels.RF.leakage_pj_per_cycle, values: [0.25]}
  - {name: mlk, key: compute.leakage_pj_per_cycle, values: [0.125]}
  - {name: odb, key: levels.RF.data_bits.Outputs, values: [32]}
derived:
  - {name: glb, key: levels.GLB.size_words, expr: "20000 - rfw"}
  - {name: clk, key: clock_mhz, expr: "rfw / 2"}
`)
	if len(s.Points) != 4 {
		t.Fatalf("%d points", len(s.Points))
	}
	d, reason := s.Design(&s.Points[0]) // ws, rfw 16
	if reason != "" {
		t.Fatal(reason)
	}
	a := d.Arch
	glb, rf := a.Levels[a.Level("GLB")], a.Levels[a.Level("RF")]
	checks := []struct {
		what      string
		got, want any
	}{
		{"RF mesh", [2]int{rf.MeshX, rf.MeshY}, [2]int{7, 4}},
		{"RF partition", rf.Partition[workload.Weights], int64(16)},
		{"GLB size", glb.SizeWords, int64(20000 - 16)},
		{"GLB keeps", glb.Keeps, [workload.NumTensors]bool{false, true, true}},
		{"multicast", rf.Network.Multicast, false},
		{"weight bandwidth", rf.Network.BandwidthWords[workload.Weights], 2.5},
		{"data bits", a.DataBits[workload.Weights], 8},
		{"SIMD", [2]int{a.Compute.MeshX, a.Compute.MeshY}, [2]int{2, 1}},
		{"clock", a.ClockHz, 8e6},
		{"dataflow", d.Mapper.DataflowName(), "ws"},
		{"budget", d.Mapper.Search.MaxEvaluations, int64(123)},
		{"method", d.Mapper.Method, Builder},
		{"conventions", a.Conventions, arch.TimeloopConventions},
		{"GLB ports", [2]float64{glb.ReadBandwidthWords, glb.WriteBandwidthWords}, [2]float64{3, 1.5}},
		{"RF clusters", rf.ClusterSize, 4},
		{"RF leakage", rf.LeakagePJ, 0.25},
		{"MAC leakage", a.Compute.LeakagePJ, 0.125},
		{"RF output width", rf.DataBits[workload.Outputs], 32},
	}
	for _, c := range checks {
		if !cmp.Equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	// The point's file parses to the same architecture.
	again, err := arch.Parse("again.yaml", d.YAML)
	if err != nil {
		t.Fatal(err)
	}
	again.Source = a.Source
	if !cmp.Equal(again, a) {
		t.Errorf("the point's YAML parses to another architecture")
	}
	// The base is untouched.
	if s.Arch.Levels[2].MeshX != 4 || s.Arch.Levels[1].Keeps[workload.Weights] != true {
		t.Errorf("the base architecture changed")
	}
	for i, want := range []string{
		"",
		// A 100-word partition does not fit the 64-word RF.
		"architecture: levels[2].partition_words: partitions total 100 words, more than size_words 64",
		"the builder needs a dataflow (ws, os, is, rs or nlr), not best",
		"architecture: levels[2].partition_words: partitions total 100 words, more than size_words 64",
	} {
		if _, reason := s.Design(&s.Points[i]); reason != want {
			t.Errorf("point %d (%s): reason %q, want %q", i, s.Label(&s.Points[i]), reason, want)
		}
	}
}

func TestDerivedReasons(t *testing.T) {
	s := mustParse(t, "version: 1\nname: t\narch: testdata/base.yaml\nnetworks: [lenet5]\n"+`parameters:
  - {name: x, values: [0, 2, 3]}
derived:
  - {name: inv, expr: "12 / x"}
  - {name: glb, key: levels.GLB.size_words, expr: "inv * 1000 / 8"}
`)
	// 12 / 2 × 1000 / 8 = 750 and 12 / 3 × 1000 / 8 = 500, both whole.
	for i, want := range []string{"derived inv: division by zero", "", ""} {
		p := &s.Points[i]
		if _, reason := s.Design(p); reason != want {
			t.Errorf("x=%s: reason %q, want %q", p.Values[0].Text, reason, want)
		}
	}
	s = mustParse(t, head+"parameters:\n  - {name: x, values: [3]}\nderived:\n  - {key: levels.GLB.size_words, expr: \"1000 / x\"}\n")
	want := "derived levels.GLB.size_words: want an integer, got 333.3333333333333 (it sets levels.GLB.size_words; floor, ceil or round make an integer)"
	if _, reason := s.Design(&s.Points[0]); reason != want {
		t.Errorf("reason %q, want %q", reason, want)
	}
}

func TestExpressions(t *testing.T) {
	names := []string{"a", "b", "levels.RF.mesh.x"}
	env := []float64{6, 4, 14}
	sc := func(n string) (int, string) {
		if i := slices.Index(names, n); i >= 0 {
			return i, ""
		}
		return 0, "unknown name " + n
	}
	tests := []struct {
		src  string
		cond bool
		want float64
		err  string
	}{
		{"1 + 2 * 3", false, 7, ""},
		{"(1 + 2) * 3", false, 9, ""},
		{"-a + b", false, -2, ""},
		{"a - -b", false, 10, ""},
		{"a / b", false, 1.5, ""},
		{"a % b", false, 2, ""},
		{"2 - 3 - 4", false, -5, ""},
		{"levels.RF.mesh.x * 2", false, 28, ""},
		{"floor(a / b) + ceil(a / b) + round(2.5)", false, 6, ""}, // round halves away from zero
		{"min(a, b, 5) + max(a, 1) + abs(-2) + sqrt(16) + log2(8) + pow(2, 10)", false, 4 + 6 + 2 + 4 + 3 + 1024, ""},
		{"1.5e3 + .5", false, 1500.5, ""},
		{"a * b <= 24", true, 1, ""},
		{"a * b < 24", true, 0, ""},
		{"a != b", true, 1, ""},
		{"a == 6", true, 1, ""},
		{"a > b", true, 1, ""},
		{"a >= 7", true, 0, ""},
		{"a / (b - 4)", false, 0, "division by zero"},
		{"a % 0", false, 0, "remainder of a division by zero"},
		{"sqrt(-a)", false, 0, "sqrt of -6"},
		{"log2(0)", false, 0, "log2 of 0"},
		{"pow(10, 400)", false, 0, "pow gives +Inf"},
		{"", false, 0, "column 1: want a number, a name or (, got the end"},
		{"a +", false, 0, "column 4: want a number, a name or (, got the end"},
		{"(a", false, 0, "column 3: want ), got the end"},
		{"a b", false, 0, `column 3: unexpected "b"`},
		{"min()", false, 0, `column 5: want a number, a name or (, got ")"`},
		{"floor(1, 2)", false, 0, "column 1: floor takes 1 argument, got 2"},
		{"pow(1)", false, 0, "column 1: pow takes 2 arguments, got 1"},
		{"c + 1", false, 0, "column 1: unknown name c"},
		{"1..2", false, 0, `column 1: bad number "1..2"`},
		{"a = b", true, 0, `column 3: unexpected "="`},
		{"a", true, 0, "column 2: want a comparison (<, <=, >, >=, == or !=)"},
		{"a < b", false, 0, "column 3: a derived value cannot compare (<); comparisons belong in constraints"},
	}
	for _, tt := range tests {
		e, err := compile(tt.src, tt.cond, sc)
		var got float64
		if err == nil {
			got, err = e.eval(env)
		}
		switch {
		case tt.err != "":
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q", tt.src, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.src, err)
		case got != tt.want:
			t.Errorf("%q = %g, want %g", tt.src, got, tt.want)
		}
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/1", Shard{0, 1}, ""},
		{"3/10", Shard{3, 10}, ""},
		{" 2 / 4 ", Shard{2, 4}, ""},
		{"10/10", Shard{}, "sweep: shard 10 of 10: want an index from 0 to 9"},
		{"-1/4", Shard{}, "sweep: shard -1 of 4: want an index from 0 to 3"},
		{"1/0", Shard{}, `sweep: shard "1/0": want i/N, part i (from 0) of N parts, e.g. 3/10`},
		{"3", Shard{}, `sweep: shard "3": want i/N, part i (from 0) of N parts, e.g. 3/10`},
		{"a/b", Shard{}, `sweep: shard "a/b": want i/N, part i (from 0) of N parts, e.g. 3/10`},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseShard(%q) error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	tests := []struct {
		vars  map[string]string
		count int
		want  Shard
		from  string
		ok    bool
		err   string
	}{
		{nil, 4, Shard{}, "", false, ""},
		{map[string]string{"JOB_COMPLETION_INDEX": "2"}, 4, Shard{2, 4}, "JOB_COMPLETION_INDEX", true, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "3"}, 4, Shard{3, 4}, "SLURM_ARRAY_TASK_ID", true, ""},
		{map[string]string{"JOB_COMPLETION_INDEX": "1", "SLURM_ARRAY_TASK_ID": "3"}, 4, Shard{1, 4}, "JOB_COMPLETION_INDEX", true, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "4"}, 4, Shard{}, "SLURM_ARRAY_TASK_ID", true, "sweep: shard 4 of 4: want an index from 0 to 3"},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "x"}, 4, Shard{}, "SLURM_ARRAY_TASK_ID", true, `sweep: SLURM_ARRAY_TASK_ID="x" is not a shard index`},
		{map[string]string{"JOB_COMPLETION_INDEX": "0"}, 0, Shard{}, "JOB_COMPLETION_INDEX", true, "sweep: JOB_COMPLETION_INDEX=0 gives the shard index; the number of shards is missing"},
	}
	for _, tt := range tests {
		got, from, ok, err := ShardFromEnv(env(tt.vars), tt.count)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err || from != tt.from {
				t.Errorf("%v: error %v from %s, want %q", tt.vars, err, from, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || from != tt.from || ok != tt.ok {
			t.Errorf("%v: %v from %q (%v), %v; want %v from %q", tt.vars, got, from, ok, err, tt.want, tt.from)
		}
	}
}

// TestShardUnion checks the shard function's contract on random sizes,
// counts and seeds: the shards are disjoint, their union is every index,
// each is sorted, and their sizes differ by one at most.
func TestShardUnion(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 500 {
		n, count, seed := rng.IntN(300), 1+rng.IntN(40), rng.Uint64()
		seen := make([]int, n)
		lo, hi := n, 0
		for i := range count {
			part := Shard{i, count}.Indices(n, seed)
			if !slices.IsSorted(part) {
				t.Fatalf("trial %d: shard %d/%d is not sorted", trial, i, count)
			}
			if again := (Shard{i, count}).Indices(n, seed); !slices.Equal(part, again) {
				t.Fatalf("trial %d: shard %d/%d is not deterministic", trial, i, count)
			}
			lo, hi = min(lo, len(part)), max(hi, len(part))
			for _, j := range part {
				seen[j]++
			}
		}
		for j, c := range seen {
			if c != 1 {
				t.Fatalf("trial %d: n %d, %d shards: index %d in %d shards", trial, n, count, j, c)
			}
		}
		if n > 0 && hi-lo > 1 {
			t.Fatalf("trial %d: shard sizes from %d to %d", trial, lo, hi)
		}
	}
	// Another seed deals other points to a shard.
	if a, b := (Shard{0, 4}).Indices(100, 1), (Shard{0, 4}).Indices(100, 2); slices.Equal(a, b) {
		t.Error("the seed does not change the shards")
	}
	if got := (Shard{}).Indices(3, 9); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("the whole sweep: %v", got)
	}
}

// runSweep is a small sweep that has an invalid point, a point that cannot
// run a network, and points that can.
const runSweep = `version: 1
name: run
arch: eyeriss
networks: [lenet5, alexnet]
batches: [1, 2]
mapper: {method: search, dataflow: rs, max_evaluations: 300, workers: 1}
parameters:
  - zip:
      - {name: x, key: levels.RF.mesh.x, values: [2, 4, 14, 14]}
      - {name: y, key: levels.RF.mesh.y, values: [2, 3, 12, 12]}
      - {name: glb, key: levels.GLB.size_words, values: [55296, 20000, 55296, 2048]}
`

func TestRunReasonsAndWorkers(t *testing.T) {
	s := mustParse(t, runSweep)
	s.Workloads = s.Workloads[:2] // lenet5 at batches 1 and 2
	one, err := s.Run(context.Background(), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	two, err := s.Run(context.Background(), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// The same results whatever the number of workers.
	if len(one.Points) != 4 || len(two.Points) != 4 {
		t.Fatalf("%d and %d points", len(one.Points), len(two.Points))
	}
	for i := range one.Points {
		a, b := &one.Points[i], &two.Points[i]
		if a.Point != &s.Points[i] || a.Reason != b.Reason || len(a.Workloads) != len(b.Workloads) {
			t.Fatalf("point %d: %q and %q", i, a.Reason, b.Reason)
		}
		for w := range a.Workloads {
			if a.Workloads[w].Reason != b.Workloads[w].Reason || !cmp.Equal(a.Workloads[w].Figures, b.Workloads[w].Figures) {
				t.Errorf("point %d workload %d differs between 1 and 2 workers", i, w)
			}
		}
	}
	// The point with a 2048-word GLB cannot keep its 4096-word weight
	// partition: invalid, with the architecture's reason.
	if r := one.Points[3].Reason; !strings.Contains(r, "partitions total 4096 words, more than size_words 2048") {
		t.Errorf("point 3: reason %q", r)
	}
	for i := range 3 {
		p := &one.Points[i]
		if !p.Valid() || len(p.Workloads) != 2 {
			t.Fatalf("point %d: %q, %d workloads", i, p.Reason, len(p.Workloads))
		}
		for w := range p.Workloads {
			wr := &p.Workloads[w]
			if !wr.OK() {
				t.Errorf("point %d workload %d: %s", i, w, wr.Reason)
				continue
			}
			f := &wr.Figures
			if f.MACs != s.Workloads[w].Network.MACs() || f.MACUnits != int64(p.Design.Arch.MACUnits()) {
				t.Errorf("point %d workload %d: %d MACs on %d units", i, w, f.MACs, f.MACUnits)
			}
			if want := float64(f.Cycles) / p.Design.Arch.ClockHz; math.Abs(f.LatencySeconds-want) > 1e-15 {
				t.Errorf("latency %g, want %g", f.LatencySeconds, want)
			}
			if want := f.EnergyPJ * 1e-12 * f.LatencySeconds; math.Abs(f.EDPJouleSeconds-want) > 1e-12*want {
				t.Errorf("EDP %g, want %g", f.EDPJouleSeconds, want)
			}
			var lv float64
			for _, e := range f.LevelsEnergyPJ {
				lv += e
			}
			if lv > f.EnergyPJ || len(f.LevelsEnergyPJ) != 3 {
				t.Errorf("levels %v of %g pJ", f.LevelsEnergyPJ, f.EnergyPJ)
			}
			if f.Utilization <= 0 || f.Utilization > 1 {
				t.Errorf("utilization %g", f.Utilization)
			}
		}
		// One search per unique layer shape: LeNet-5's 5 layers at two
		// batches.
		if p.Cache.Searches != 10 || p.Evaluations == 0 {
			t.Errorf("point %d: %+v, %d evaluations", i, p.Cache, p.Evaluations)
		}
	}
	// More PEs, less latency.
	if a, b := one.Points[0].Workloads[0].LatencySeconds, one.Points[2].Workloads[0].LatencySeconds; !(b < a) {
		t.Errorf("168 PEs take %g s, 4 PEs %g s", b, a)
	}
}

func TestRunWorkloadReason(t *testing.T) {
	// WS keeps weights in the PEs; a one-word RF of 8-bit words cannot
	// hold one 16-bit weight, so no mapping of LeNet-5 is legal.
	s := mustParse(t, `version: 1
name: nomap
arch: testdata/base.yaml
networks: [lenet5]
mapper: {method: search, dataflow: ws, max_evaluations: 500}
parameters:
  - {name: rf, key: levels.RF.size_words, values: [1, 64]}
  - {name: bits, key: levels.RF.word_bits, values: [8]}
`)
	r, err := s.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := &r.Points[0]; !p.Valid() || p.Workloads[0].OK() || p.Workloads[0].Reason != `layer "c1": mapper: no legal mapping found` {
		t.Errorf("a one-word RF: %q, %q", p.Reason, p.Workloads[0].Reason)
	}
	if p := &r.Points[1]; !p.Valid() || !p.Workloads[0].OK() {
		t.Errorf("a 64-word RF: %q, %q", p.Reason, p.Workloads[0].Reason)
	}
}

func TestRunCancelled(t *testing.T) {
	s := mustParse(t, runSweep)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Run(ctx, Options{Workers: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel: %v", err)
	}
	if _, err := s.Run(context.Background(), Options{Shard: Shard{5, 3}}); err == nil {
		t.Error("Run accepts shard 5 of 3")
	}
}

func TestRunShards(t *testing.T) {
	s := mustParse(t, head+`mapper: {method: builder, dataflow: rs}
parameters:
  - {name: x, key: levels.RF.mesh.x, range: {from: 1, to: 14, step: 1}}
`)
	whole, err := s.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var union []PointResult
	for i := range 3 {
		r, err := s.Run(context.Background(), Options{Shard: Shard{i, 3}, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		union = append(union, r.Points...)
	}
	slices.SortFunc(union, func(a, b PointResult) int { return a.Point.Index - b.Point.Index })
	if len(union) != len(whole.Points) {
		t.Fatalf("%d points in the shards, %d in the sweep", len(union), len(whole.Points))
	}
	for i := range union {
		if union[i].Point != whole.Points[i].Point || !cmp.Equal(union[i].Workloads[0].Figures, whole.Points[i].Workloads[0].Figures) {
			t.Errorf("point %d differs in its shard", i)
		}
	}
}

func TestFronts(t *testing.T) {
	s := mustParse(t, head+`mapper: {method: builder, dataflow: rs}
batches: [1, 4]
parameters:
  - {name: x, key: levels.RF.mesh.x, values: [2, 7, 14]}
  - {name: y, key: levels.RF.mesh.y, values: [1, 6, 12]}
  - {name: glb, key: levels.GLB.size_words, values: [8192, 55296]}
`)
	r, err := s.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, objs := range [][]Objective{{Energy, Latency}, {Latency, EDP}, {Energy, Latency, EDP}} {
		fronts, err := r.Fronts(objs)
		if err != nil {
			t.Fatal(err)
		}
		if len(fronts) != len(s.Workloads) {
			t.Fatalf("%d fronts", len(fronts))
		}
		for _, f := range fronts {
			on := map[int]bool{}
			for _, i := range f.Points {
				on[i] = true
			}
			vec := func(i int) []float64 {
				var v []float64
				for _, o := range objs {
					v = append(v, o.Value(&r.Points[i].Workloads[f.Workload].Figures))
				}
				return v
			}
			for i := range r.Points {
				dominated := false
				for j := range r.Points {
					if j != i && explore.Dominates(vec(j), vec(i)) {
						dominated = true
					}
				}
				if on[i] == dominated {
					t.Errorf("%v workload %d: point %d on the front %v, dominated %v", objs, f.Workload, i, on[i], dominated)
				}
			}
			for k := 1; k < len(f.Points); k++ {
				if slices.Compare(vec(f.Points[k-1]), vec(f.Points[k])) > 0 {
					t.Errorf("%v: front not in order", objs)
				}
			}
		}
	}
}

func TestParseObjectives(t *testing.T) {
	tests := []struct {
		in   string
		want []Objective
		err  string
	}{
		{"energy,latency", []Objective{Energy, Latency}, ""},
		{"edp, energy, latency", []Objective{EDP, Energy, Latency}, ""},
		{"energy", nil, `sweep: a Pareto front needs two or three objectives (energy, latency, edp, area or power), got "energy"`},
		{"energy,energy", nil, "sweep: objective energy listed twice"},
		{"energy,area", []Objective{Energy, Area}, ""},
		{"power, area, latency", []Objective{Power, Area, Latency}, ""},
		{"energy,watts", nil, `sweep: unknown objective "watts" (want energy, latency, edp, area or power)`},
	}
	for _, tt := range tests {
		got, err := ParseObjectives(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q = %v, %v", tt.in, got, err)
		}
	}
}

const formatDoc = "../docs/format/sweep.md"

// TestFormatDoc checks that docs/format/sweep.md documents exactly the keys
// that Parse accepts, and that its example parses.
func TestFormatDoc(t *testing.T) {
	md, err := os.ReadFile(formatDoc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := yamlspec.DocDiff(&fileYAML{}, md); diff != "" {
		t.Errorf("%s and Parse disagree:\n%s", formatDoc, diff)
	}
	blocks := yamlspec.Examples(md)
	if len(blocks) == 0 {
		t.Fatal("no YAML example")
	}
	for _, b := range blocks {
		s, err := Parse(formatDoc, b)
		if err != nil {
			t.Errorf("example does not parse: %v", err)
			continue
		}
		if len(s.Points) != 6 || s.Excluded != 2 {
			t.Errorf("the example has %d points, %d excluded; the text says 6 and 2", len(s.Points), s.Excluded)
		}
	}
}

// TestExamples parses every sweep of examples/sweeps.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/sweeps/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "\nnetworks:") {
			continue // a base architecture
		}
		n++
		s, err := Parse(f, data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for i := range s.Points {
			if _, reason := s.Design(&s.Points[i]); reason != "" {
				t.Errorf("%s: point %s: %s", f, s.Label(&s.Points[i]), reason)
			}
		}
	}
	if n < 3 {
		t.Errorf("%d example sweeps, want 3", n)
	}
}

// The search budget can be a range; other mapper settings cannot.
func TestMapperRanges(t *testing.T) {
	s := mustParse(t, head+"parameters:\n  - {name: b, key: mapper.max_evaluations, range: {from: 1000, to: 4000, factor: 2}}\n")
	var got []int64
	for i := range s.Points {
		d, reason := s.Design(&s.Points[i])
		if reason != "" {
			t.Fatal(reason)
		}
		got = append(got, d.Mapper.Search.MaxEvaluations)
	}
	if !slices.Equal(got, []int64{1000, 2000, 4000}) {
		t.Errorf("budgets %v", got)
	}
	for src, want := range map[string]string{
		"{key: mapper.max_evaluations, range: {from: 0, to: 4, step: 1}}": `t.yaml:6:35: parameters[0].range: want an integer of at least 1, got "0"`,
		"{key: mapper.dataflow, range: {from: 1, to: 4, step: 1}}":        "t.yaml:6:28: parameters[0].range: a range gives numbers; the key takes a mapper setting",
	} {
		_, err := Parse("t.yaml", []byte(head+"parameters:\n  - "+src+"\n"))
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", src, err, want)
		}
	}
}

// ONNX files run at their own batch without batches, and are imported at
// each batch given; one whose batch cannot be told apart takes no batch.
func TestONNXNetworks(t *testing.T) {
	const dir = "../workload/onnx/testdata/batch/"
	s := mustParse(t, "version: 1\nname: t\narch: eyeriss\nnetworks: ["+dir+"cnn_b2.onnx, "+dir+"enc_sf_b1.onnx, lenet5]\n")
	var got []string
	for _, w := range s.Workloads {
		got = append(got, fmt.Sprintf("%s %d %v", w.Network.Name, w.Batch, w.Network.BatchUnknown))
	}
	if want := []string{"cnn_b2 2 false", "enc_sf_b1 1 true", "lenet5 1 false"}; !slices.Equal(got, want) {
		t.Errorf("workloads %v, want %v", got, want)
	}
	s = mustParse(t, "version: 1\nname: t\narch: eyeriss\nnetworks: ["+dir+"cnn_b2.onnx]\nbatches: [1, 4]\n")
	if len(s.Workloads) != 2 || s.Workloads[1].Batch != 4 || s.Workloads[1].Network.Layers[0].Shape[workload.N] != 4 {
		t.Errorf("cnn_b2 at batches 1 and 4: %+v", s.Workloads)
	}
	_, err := Parse("t.yaml", []byte("version: 1\nname: t\narch: eyeriss\nnetworks: ["+dir+"enc_sf_b1.onnx]\nbatches: [2]\n"))
	if err == nil || !strings.Contains(err.Error(), "t.yaml:4:12: networks[0]: onnx: ") || !strings.Contains(err.Error(), "cannot import at batch 2") {
		t.Errorf("a batch for a file without one: %v", err)
	}
}
