package server

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nnergy/nnergy/store"
)

// loadDuration is how long TestLoad runs: 30 s when NNERGY_LOAD=1 or when
// -run names it, else a few seconds, so that a plain go test stays fast.
func loadDuration() time.Duration {
	if os.Getenv("NNERGY_LOAD") == "1" {
		return 30 * time.Second
	}
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "TestLoad") {
		return 30 * time.Second
	}
	return 3 * time.Second
}

// loadEndpoints are what each client of TestLoad asks in turn: reads of
// the runs, and evals that fill the queue of one job.
var loadEndpoints = []struct {
	name, method, path, body string
}{
	{"get-run", "GET", "/api/v1/runs/%d", ""},
	{"list-20", "GET", "/api/v1/runs?limit=20", ""},
	{"list-energy", "GET", "/api/v1/runs?sort=energy&limit=20", ""},
	{"list-latency-eval", "GET", "/api/v1/runs?kind=eval&sort=latency&limit=20", ""},
	{"post-eval", "POST", "/api/v1/jobs/eval", `{"arch": "eyeriss", "model": "lenet5"}`},
}

// loadClients is how many clients TestLoad runs at once.
const loadClients = 8

// TestLoad is the load test: loadClients clients at once, over loopback
// TCP, read runs (one, a page, pages sorted by energy and latency) and
// start LeNet-5 evals on a server of one job (so two admitted: the queue
// fills), for loadDuration. Every answer must be a success, or 429 for an
// eval refused by the full queue; every eval admitted must finish done,
// and the store must pass its check. It logs p50 and p99 per endpoint
// (BENCHMARKS.md).
func TestLoad(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	f.seed(50)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients}}
	type result struct {
		lat  []time.Duration
		code map[int]int
		errs []string
	}
	results := make([]map[string]*result, loadClients)
	var admitted sync.Map
	idRE := regexp.MustCompile(`"id":\s*(\d+)`)
	d := loadDuration()
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range loadClients {
		res := map[string]*result{}
		for _, e := range loadEndpoints {
			res[e.name] = &result{code: map[int]int{}}
		}
		results[c] = res
		wg.Go(func() {
			for i := c; time.Now().Before(deadline); i++ {
				e := loadEndpoints[i%len(loadEndpoints)]
				path := e.path
				if strings.Contains(path, "%d") {
					path = fmt.Sprintf(path, 1+i%50)
				}
				req, _ := http.NewRequest(e.method, f.ts.URL+path, strings.NewReader(e.body))
				if e.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					res[e.name].errs = append(res[e.name].errs, err.Error())
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat := time.Since(t0)
				r := res[e.name]
				r.lat = append(r.lat, lat)
				r.code[resp.StatusCode]++
				switch {
				case err != nil:
					r.errs = append(r.errs, err.Error())
				case resp.StatusCode == http.StatusAccepted && e.method == "POST":
					if m := idRE.FindSubmatch(b); m != nil {
						admitted.Store(string(m[1]), true)
					}
				case resp.StatusCode == http.StatusTooManyRequests && e.method == "POST":
				case resp.StatusCode != http.StatusOK:
					r.errs = append(r.errs, fmt.Sprintf("%s %s: %d %.200s", e.method, path, resp.StatusCode, b))
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, e := range loadEndpoints {
		var lat []time.Duration
		codes := map[int]int{}
		var errs []string
		for _, res := range results {
			r := res[e.name]
			lat = append(lat, r.lat...)
			for c, n := range r.code {
				codes[c] += n
			}
			errs = append(errs, r.errs...)
		}
		total += len(lat)
		if len(errs) > 0 {
			t.Errorf("%s: %d errors, the first: %s", e.name, len(errs), errs[0])
		}
		if len(lat) == 0 {
			t.Errorf("%s: no answer in %v", e.name, d)
			continue
		}
		slices.Sort(lat)
		t.Logf("%-18s %6d requests  p50 %7.2f ms  p99 %7.2f ms  status %v", e.name, len(lat), ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), codes)
	}
	t.Logf("%d clients, %v: %d requests, %.0f/s", loadClients, d, total, float64(total)/d.Seconds())

	// Every eval admitted ends done once the queue drains.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := 0
	admitted.Range(func(k, _ any) bool {
		n++
		var id int64
		fmt.Sscan(k.(string), &id)
		for {
			r, err := f.st.Run(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != store.Running {
				if r.Status != store.Done {
					t.Errorf("eval %d admitted under load: %s %q", id, r.Status, r.Error)
				}
				return true
			}
			select {
			case <-ctx.Done():
				t.Fatalf("eval %d still running after the load", id)
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	if n == 0 {
		t.Error("no eval was admitted under load")
	}
	if c, err := f.st.Check(ctx); err != nil {
		t.Error(err)
	} else {
		t.Logf("%d evals admitted and done; the store holds %v", n, c)
	}
}

// seed records n eval runs of LeNet-5 on Eyeriss: one job's run and its
// copies. It returns the last run's ID.
func (f *fixture) seed(n int) int64 {
	f.t.Helper()
	_, first := f.wait(f.eval(`{"arch": "eyeriss", "model": "lenet5"}`).ID)
	last := first.ID
	for range n - 1 {
		r := store.Run{Kind: store.KindEval, Version: first.NnergyVersion, Command: first.Command, Arch: first.Arch,
			Workload: first.Workload, WorkloadDigest: first.WorkloadDigest, Settings: first.Settings}
		if err := f.st.Begin(context.Background(), &r); err != nil {
			f.t.Fatal(err)
		}
		if err := f.st.Finish(context.Background(), r.ID, first.Report); err != nil {
			f.t.Fatal(err)
		}
		last = r.ID
	}
	return last
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
