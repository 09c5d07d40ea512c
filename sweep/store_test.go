package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// memStore is a Store in memory that counts its writes and hits.
type memStore struct {
	mu                              sync.Mutex
	items                           map[string]map[int][]byte
	results                         map[string][]byte
	itemWrites, resultWrites, reads int
	// fail makes every call fail.
	fail error
}

func newMemStore() *memStore {
	return &memStore{items: map[string]map[int][]byte{}, results: map[string][]byte{}}
}

func (m *memStore) Items(_ context.Context, key string) (map[int][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int][]byte{}
	for i, v := range m.items[key] {
		out[i] = v
	}
	return out, m.fail
}

func (m *memStore) PutItem(_ context.Context, key string, i int, v []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items[key] == nil {
		m.items[key] = map[int][]byte{}
	}
	if _, ok := m.items[key][i]; !ok {
		m.items[key][i] = v
	}
	m.itemWrites++
	return m.fail
}

func (m *memStore) Result(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.results[key]
	if ok {
		m.reads++
	}
	return v, ok, m.fail
}

func (m *memStore) PutResult(_ context.Context, key string, v []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.results[key]; !ok {
		m.results[key] = v
	}
	m.resultWrites++
	return m.fail
}

// storeSweep searches LeNet-5 on 6 PE arrays.
const storeSweep = head + `mapper: {method: search, dataflow: rs, max_evaluations: 300, workers: 1}
parameters:
  - {name: x, key: levels.RF.mesh.x, values: [2, 7, 14]}
  - {name: y, key: levels.RF.mesh.y, values: [3, 12]}
`

// figuresOf returns every point's ID, reason and workload figures and
// reasons.
func figuresOf(r *Result) []string {
	var out []string
	for _, p := range r.Points {
		s := fmt.Sprintf("%s %q", p.Point.ID, p.Reason)
		for _, w := range p.Workloads {
			s += fmt.Sprintf(" %q %+v", w.Reason, w.Figures)
		}
		out = append(out, s)
	}
	return out
}

// TestResume interrupts a sweep after k points, runs it again, and checks
// that the k stored points are not evaluated again and that the result is
// a clean run's.
func TestResume(t *testing.T) {
	for _, src := range []string{storeSweep, failSweep} {
		s := mustParse(t, src)
		clean, err := s.Run(context.Background(), Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		testResume(t, s, clean)
	}
}

// failSweep has points whose layers have no legal mapping (a one-word RF
// cannot hold a weight under WS): their reasons are stored as figures
// are.
const failSweep = `version: 1
name: fail
arch: testdata/base.yaml
networks: [lenet5]
mapper: {method: search, dataflow: ws, max_evaluations: 300, workers: 1}
parameters:
  - {name: rf, key: levels.RF.size_words, values: [1, 64]}
  - {name: bits, key: levels.RF.word_bits, values: [8]}
  - {name: x, key: levels.RF.mesh.x, values: [2, 4, 7]}
`

func testResume(t *testing.T, s *Sweep, clean *Result) {
	reasons := 0
	for _, p := range clean.Points {
		if !p.Valid() || !p.Workloads[0].OK() {
			reasons++
		}
	}
	if s.Name == "fail" && reasons == 0 {
		t.Fatal("sweep fail: no point with a reason")
	}
	n := len(s.Points)
	for _, k := range []int{1, 3, n - 1} {
		t.Run(fmt.Sprintf("%s/%d", s.Name, k), func(t *testing.T) {
			st := newMemStore()
			ctx, cancel := context.WithCancel(context.Background())
			_, err := s.Run(ctx, Options{Workers: 1, Store: st, Progress: func(done, _ int, _ *PointResult) {
				if done == k {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: %v", err)
			}
			if got := len(st.items[s.RunKey()]); got != k {
				t.Fatalf("%d points stored after %d", got, k)
			}
			st.itemWrites = 0
			var evaluated []string
			res, err := s.Run(context.Background(), Options{Workers: 2, Store: st, Progress: func(_, _ int, r *PointResult) {
				if !r.FromStore {
					evaluated = append(evaluated, r.Point.ID)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			if len(evaluated) != n-k || res.Stored != k || st.itemWrites != n-k {
				t.Errorf("resumed: %d points evaluated, %d from the store, %d written; want %d, %d, %d",
					len(evaluated), res.Stored, st.itemWrites, n-k, k, n-k)
			}
			if d := cmp.Diff(figuresOf(clean), figuresOf(res)); d != "" {
				t.Errorf("resumed run differs from a clean one (-clean +resumed):\n%s", d)
			}
			for i := range res.Points {
				// A point from the store runs no search: the store serves
				// every one (and the failed ones, which Searches does not
				// count).
				if p := &res.Points[i]; p.FromStore && p.StoredLayers < p.Cache.Searches {
					t.Errorf("point %s from the store: %d of its %d searches served by the store", p.Point.ID, p.StoredLayers, p.Cache.Searches)
				}
				if p := &res.Points[i]; p.FromStore && (p.Evaluations != clean.Points[i].Evaluations || p.Cache.Searches != clean.Points[i].Cache.Searches) {
					t.Errorf("point %s from the store: %d searches, %d evaluations; the clean run's %d, %d", p.Point.ID,
						p.Cache.Searches, p.Evaluations, clean.Points[i].Cache.Searches, clean.Points[i].Evaluations)
				}
			}
		})
	}
}

// TestWarmStart runs a second sweep that shares points with a first:
// its shared points' layers come from the store, with no search, and the
// same figures.
func TestWarmStart(t *testing.T) {
	st := newMemStore()
	first := mustParse(t, storeSweep)
	if _, err := first.Run(context.Background(), Options{Store: st}); err != nil {
		t.Fatal(err)
	}
	second := mustParse(t, head+`mapper: {method: search, dataflow: rs, max_evaluations: 300, workers: 1}
parameters:
  - {name: x, key: levels.RF.mesh.x, values: [7, 8]}
  - {name: y, key: levels.RF.mesh.y, values: [12]}
`)
	if first.RunKey() == second.RunKey() {
		t.Fatal("two different sweeps share a run key")
	}
	cold, err := second.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	warm, err := second.Run(context.Background(), Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(figuresOf(cold), figuresOf(warm)); d != "" {
		t.Errorf("warm run differs from a cold one (-cold +warm):\n%s", d)
	}
	for i := range warm.Points {
		p := &warm.Points[i]
		shared := first.Point(p.Point.ID) != nil
		if shared != (p.Evaluations == 0) || shared != (p.StoredLayers == p.Cache.Searches) || p.FromStore {
			t.Errorf("point %s (in the first sweep: %t): %d evaluations, %d of %d searches from the store, from the store %t",
				p.Point.ID, shared, p.Evaluations, p.StoredLayers, p.Cache.Searches, p.FromStore)
		}
	}
}

// TestStoredOnly reads the points of a sweep from a store that holds
// some: those, and the others as missing.
func TestStoredOnly(t *testing.T) {
	s := mustParse(t, storeSweep)
	st := newMemStore()
	if _, err := s.Run(context.Background(), Options{StoredOnly: true}); err == nil {
		t.Error("StoredOnly without a store runs")
	}
	if _, err := s.Run(context.Background(), Options{Store: st, Shard: Shard{1, 3}}); err != nil {
		t.Fatal(err)
	}
	writes := st.resultWrites + st.itemWrites
	res, err := s.Run(context.Background(), Options{Store: st, StoredOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	in := Shard{1, 3}.Indices(len(s.Points), s.ShardSeed)
	var got []int
	for _, p := range res.Points {
		got = append(got, p.Point.Index)
	}
	var missing []int
	for i := range s.Points {
		if !containsInt(in, i) {
			missing = append(missing, i)
		}
	}
	if !cmp.Equal(got, in) || !cmp.Equal(res.Missing, missing) || res.Stored != len(in) {
		t.Errorf("stored only: points %v, missing %v, %d stored; want %v, %v", got, res.Missing, res.Stored, in, missing)
	}
	if st.resultWrites+st.itemWrites != writes {
		t.Error("StoredOnly wrote to the store")
	}
	// A stored point whose figures its stored searches do not give (a
	// model changed without a new ModelVersion) fails the sweep.
	key := s.RunKey()
	i := in[0]
	st.items[key][i] = bytes.Replace(st.items[key][i], []byte(`"energy_pj":`), []byte(`"energy_pj":1`), 1)
	if _, err := s.Run(context.Background(), Options{Store: st, StoredOnly: true}); err == nil || !strings.Contains(err.Error(), "ModelVersion") {
		t.Errorf("a stored point of other figures: %v", err)
	}
	st.fail = errors.New("store down")
	if _, err := s.Run(context.Background(), Options{Store: st}); err == nil || err.Error() != "store down" {
		t.Errorf("a failing store: %v", err)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
