package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/sweep"
)

// seeded is a store with one run of each kind the UI draws.
type seeded struct {
	eval, eval2, sweep, adapt, prune, failed, interrupted int64
	evalRep                                               *report.Eval
	sweepRep                                              *report.Sweep
	adaptRep                                              *report.Adapt
}

// evilName is a model name that HTML must escape.
const evilName = `<script>alert("x")</script>&`

// seed records, on f's store: two evals through the API (lenet5 on eyeriss
// and on eyeriss-v2), the sweep of page/testdata/small.yaml with its
// points in the store, the NetAdapt and pruning histories of
// page/testdata, and a failed run whose names need escaping.
func seed(t testing.TB, f *fixture) *seeded {
	t.Helper()
	var s seeded
	a := f.eval(`{"arch": "eyeriss", "model": "lenet5"}`)
	_, ra := f.wait(a.ID)
	b := f.eval(`{"arch": "eyeriss-v2", "model": "lenet5", "dataflow": "ws"}`)
	_, rb := f.wait(b.ID)
	if ra.Status != "done" || rb.Status != "done" {
		t.Fatalf("seed evals: %s %q, %s %q", ra.Status, ra.Error, rb.Status, rb.Error)
	}
	s.eval, s.eval2 = a.ID, b.ID
	s.evalRep = new(report.Eval)
	if err := json.Unmarshal(ra.Report, s.evalRep); err != nil {
		t.Fatal(err)
	}
	s.sweep, s.sweepRep = seedSweep(t, f.st, sweep.Shard{})
	s.adapt = seedHistory(t, f.st, store.KindAdapt, "../page/testdata/adapt_lenet5.json")
	s.prune = seedHistory(t, f.st, store.KindPrune, "../page/testdata/prune_lenet5.json")
	_, s.adaptRep, _ = readHistory(t, "../page/testdata/adapt_lenet5.json")
	ctx := context.Background()
	bad := store.Run{Kind: store.KindEval, Version: "test", Command: []string{"nnergy", "eval", "--model", evilName}, Workload: evilName}
	if err := f.st.Begin(ctx, &bad); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Fail(ctx, bad.ID, io.ErrUnexpectedEOF); err != nil {
		t.Fatal(err)
	}
	s.failed = bad.ID
	cut := store.Run{Kind: store.KindSweep, Version: "test", Command: []string{"nnergy", "sweep", "small.yaml"}, Workload: "small"}
	if err := f.st.Begin(ctx, &cut); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Interrupt(ctx, cut.ID, Interrupted); err != nil {
		t.Fatal(err)
	}
	s.interrupted = cut.ID
	return &s
}

// seedSweep runs shard sh of page/testdata/small.yaml with st as its store
// and records it as a sweep run with its energy-latency fronts.
func seedSweep(t testing.TB, st *store.Store, sh sweep.Shard) (int64, *report.Sweep) {
	t.Helper()
	ctx := context.Background()
	sw, err := sweep.Load("../page/testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	settings, _ := json.Marshal(map[string]string{"shard": sh.String(), "pareto": "energy,latency"})
	run := store.Run{Kind: store.KindSweep, Version: "test", Command: []string{"nnergy", "sweep", "small.yaml"}, Arch: string(arch.Format(sw.Arch)),
		Workload: "lenet5", WorkloadDigest: sw.RunKey(), Settings: settings}
	if err := st.Begin(ctx, &run); err != nil {
		t.Fatal(err)
	}
	res, err := sw.Run(ctx, sweep.Options{Workers: 1, Shard: sh, Store: st.Sweep()})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := sweep.ParseObjectives("energy,latency")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.NewSweep(res, objs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Finish(ctx, run.ID, b); err != nil {
		t.Fatal(err)
	}
	return run.ID, rep
}

func readHistory(t testing.TB, path string) (*report.Prune, *report.Adapt, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, a, err := report.ReadHistory(b)
	if err != nil {
		t.Fatal(err)
	}
	var v any = p
	if a != nil {
		v = a
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return p, a, out
}

// seedHistory records a pruning or NetAdapt history of page/testdata as a
// run of kind.
func seedHistory(t testing.TB, st *store.Store, kind store.Kind, path string) int64 {
	t.Helper()
	_, _, b := readHistory(t, path)
	ctx := context.Background()
	run := store.Run{Kind: kind, Version: "test", Command: []string{"nnergy", kind.String(), "--model", "lenet5"}, Workload: "lenet5"}
	if err := st.Begin(ctx, &run); err != nil {
		t.Fatal(err)
	}
	if err := st.Finish(ctx, run.ID, b); err != nil {
		t.Fatal(err)
	}
	return run.ID
}

// page is a response of the web UI.
type uiResponse struct {
	code   int
	header http.Header
	body   string
}

// get sends GET path (no redirects followed) with the headers given as
// name, value pairs.
func (f *fixture) get(path string, header ...string) uiResponse {
	f.t.Helper()
	return f.send("GET", path, "", "", header...)
}

func (f *fixture) send(method, path, contentType, body string, header ...string) uiResponse {
	f.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, b := f.roundTrip(c, method, path, contentType, []byte(body), header...)
	return uiResponse{resp.StatusCode, resp.Header, string(b)}
}

// roundTrip sends a request with c and returns the response with its body
// read; header holds name, value pairs.
func (f *fixture) roundTrip(c *http.Client, method, path, contentType string, body []byte, header ...string) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, b
}

var dataValue = regexp.MustCompile(`id="([^"]+)" data-value="([^"]+)"`)

// shownValues returns every data-value of a page by its element's id.
func shownValues(t testing.TB, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, m := range dataValue.FindAllStringSubmatch(body, -1) {
		v, err := strconv.ParseFloat(html.UnescapeString(m[2]), 64)
		if err != nil {
			t.Fatalf("%s: %v", m[1], err)
		}
		if _, dup := out[m[1]]; dup {
			t.Fatalf("id %s twice", m[1])
		}
		out[m[1]] = v
	}
	return out
}

var archPre = regexp.MustCompile(`(?s)<pre id="arch-yaml" class="nest">(.*?)</pre>`)

var runRow = regexp.MustCompile(`<tr id="run-(\d+)">`)

// listed returns the IDs of the runs list's rows, in order.
func listed(body string) []int64 {
	var out []int64
	for _, m := range runRow.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, id)
	}
	return out
}

// apiIDs returns the IDs GET /api/v1/runs?query lists, in order.
func (f *fixture) apiIDs(query string) []int64 {
	f.t.Helper()
	code, b := f.do("GET", "/api/v1/runs?"+query, "", nil)
	if code != http.StatusOK {
		f.t.Fatalf("GET /api/v1/runs?%s: %d %s", query, code, b)
	}
	var rs report.Runs
	if err := json.Unmarshal(b, &rs); err != nil {
		f.t.Fatal(err)
	}
	var out []int64
	for _, r := range rs.Runs {
		out = append(out, r.ID)
	}
	return out
}

func TestUIPages(t *testing.T) {
	f := newFixture(t, Config{Jobs: 2})
	s := seed(t, f)
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	front := s.sweepRep.Pareto.Fronts[0].Points[0]
	for _, c := range []struct {
		path string
		code int
		want []string
	}{
		{"/", 200, []string{`<nav id="nav">`, `<script src="/ui.js" defer></script>`, `id="run-` + id(s.eval) + `"`, `id="run-` + id(s.sweep) + `"`, `<form id="compare" method="get" action="/compare">`}},
		{"/runs/" + id(s.eval), 200, []string{`id="total-energy-pj"`, `id="mapping-0"`, `id="chart-levels"`, `id="total-energy-over-lower-bound"`, `id="run-header"`, `<form id="compare-form"`}},
		{"/runs/" + id(s.sweep), 200, []string{`<form id="axes"`, `href="/runs/` + id(s.sweep) + `/points/` + front + `"`, `class="dot"`, `id="shard-table"`, `id="hover-0"`}},
		{"/runs/" + id(s.sweep) + "?x=area&y=power", 200, []string{`<option selected>area</option>`, `>power (W, log)</text>`, `>area (µm², log)</text>`}},
		{"/runs/" + id(s.sweep) + "/points/" + front, 200, []string{`id="area-um2"`, `on the front`, `<pre id="arch-yaml"`, `class="eval-point"`}},
		{"/runs/" + id(s.adapt), 200, []string{`id="curve"`, `id="iteration-table"`, `id="final-accuracy"`}},
		{"/runs/" + id(s.prune), 200, []string{`id="curve"`, `id="steps-0"`}},
		{"/runs/" + id(s.failed), 200, []string{`id="run-error"`, `status-failed`, html.EscapeString(io.ErrUnexpectedEOF.Error())}},
		{"/runs/" + id(s.interrupted), 200, []string{`id="run-error"`, `status-interrupted`, "interrupted before it ended", html.EscapeString(Interrupted)}},
		{"/compare?a=" + id(s.eval) + "&b=" + id(s.eval2), 200, []string{`id="figure-table"`, `id="figure-0-a-energy-pj"`, `id="figure-1-b-energy-pj"`, `id="chart-compare"`, `--dataflow`}},
		{"/new", 200, []string{`<form id="new-eval" method="post" action="/new">`, `<option selected>eyeriss</option>`, `<option selected>lenet5</option>`, `<option selected>rs</option>`}},
		{"/runs/999", 404, []string{`no run 999`}},
		{"/runs/abc", 404, []string{`a run ID is a positive integer`}},
		{"/runs/" + id(s.sweep) + "/points/nope", 404, []string{`has no point &#34;nope&#34;`}},
		{"/runs/" + id(s.eval) + "/points/" + front, 404, []string{`has no sweep points`}},
		{"/runs/" + id(s.sweep) + "?x=colour", 400, []string{`axis &#34;colour&#34;`}},
		{"/compare?a=" + id(s.eval), 400, []string{`b=&#34;&#34;`}},
		{"/compare?a=" + id(s.eval) + "&b=999", 404, []string{`no run 999`}},
		{"/?sort=size", 400, []string{`sort &#34;size&#34;`}},
		{"/?kind=lunch", 400, []string{`query kind`}},
		{"/nowhere", 404, []string{`no page /nowhere`}},
	} {
		r := f.get(c.path)
		if r.code != c.code {
			t.Errorf("GET %s: %d, want %d\n%.400s", c.path, r.code, c.code, r.body)
			continue
		}
		if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", c.path, ct)
		}
		if r.header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no Content-Security-Policy", c.path)
		}
		for _, w := range c.want {
			if !strings.Contains(r.body, w) {
				t.Errorf("GET %s: no %q", c.path, w)
			}
		}
		// Names from the store are escaped on every page.
		if strings.Contains(r.body, evilName) || strings.Contains(r.body, "<script>alert") {
			t.Errorf("GET %s: the name %q is not escaped", c.path, evilName)
		}
	}
	// The API keeps answering in JSON.
	if code, b := f.do("GET", "/api/v1/nowhere", "", nil); code != 404 || !strings.HasPrefix(string(b), "{") {
		t.Errorf("GET /api/v1/nowhere: %d %s, want a JSON 404", code, b)
	}
	if r := f.send("DELETE", "/new", "", ""); r.code != 405 || r.header.Get("Allow") != "GET, POST" {
		t.Errorf("DELETE /new: %d, Allow %q; want 405, GET, POST", r.code, r.header.Get("Allow"))
	}
}

func TestUIRunsListFilterSort(t *testing.T) {
	f := newFixture(t, Config{Jobs: 2})
	s := seed(t, f)
	all := listed(f.get("/").body)
	if len(all) != 7 {
		t.Fatalf("runs list: %v, want the 7 seeded runs", all)
	}
	if body := f.get("/").body; !strings.Contains(body, html.EscapeString(evilName)) {
		t.Errorf("the escaped name %q is not listed", html.EscapeString(evilName))
	}
	for _, q := range []string{"", "kind=sweep", "kind=eval", "model=lenet5", "arch=eyeriss-v2", "sort=energy", "sort=latency", "kind=eval&sort=energy", "model=lenet5&sort=latency", "model=nothing"} {
		got, want := listed(f.get("/?"+q).body), f.apiIDs(q)
		if !slices.Equal(got, want) {
			t.Errorf("/?%s lists %v, the API %v", q, got, want)
		}
	}
	// Sorted by energy, the evals come lowest first and the runs without an
	// energy last.
	energy := listed(f.get("/?sort=energy").body)
	if i, j := slices.Index(energy, s.eval), slices.Index(energy, s.failed); i < 0 || j < i {
		t.Errorf("/?sort=energy: %v: eval %d should come before failed %d", energy, s.eval, s.failed)
	}
	// The totals shown are the reports'.
	v := shownValues(t, f.get("/").body)
	if got := v["run-"+strconv.FormatInt(s.eval, 10)+"-energy-pj"]; got != s.evalRep.Total.EnergyPJ {
		t.Errorf("run %d energy shown %v, report %v", s.eval, got, s.evalRep.Total.EnergyPJ)
	}
	// The sort links keep the filter.
	if body := f.get("/?kind=eval").body; !strings.Contains(body, `href="/?kind=eval&amp;sort=energy"`) {
		t.Errorf("/?kind=eval: no sort link that keeps the filter")
	}
}

func TestUIRunNumbersMatchAPI(t *testing.T) {
	f := newFixture(t, Config{Jobs: 2})
	s := seed(t, f)
	get := func(id int64) map[string]float64 {
		return shownValues(t, f.get("/runs/"+strconv.FormatInt(id, 10)).body)
	}
	ev := get(s.eval)
	tot := s.evalRep.Total
	for k, w := range map[string]float64{"total-energy-pj": tot.EnergyPJ, "total-cycles": float64(tot.Cycles), "total-energy-over-lower-bound": tot.EnergyOverLowerBound,
		"layer-0-energy-pj": s.evalRep.Layers[0].EnergyPJ, "level-0-weights-pj": tot.Levels[0].Tensors.Weights.EnergyPJ} {
		if ev[k] != w {
			t.Errorf("eval %s: page %v, report %v", k, ev[k], w)
		}
	}
	sw := get(s.sweep)
	for _, p := range s.sweepRep.Points {
		for _, r := range p.Results {
			if r.OK {
				k := "point-" + strconv.Itoa(r.Workload) + "-" + strconv.Itoa(p.Index) + "-energy-pj"
				if sw[k] != r.EnergyPJ {
					t.Errorf("sweep %s: page %v, report %v", k, sw[k], r.EnergyPJ)
				}
			}
		}
	}
	if sw["shard-0-done"] != float64(s.sweepRep.TotalPoints) || sw["shard-0-total"] != float64(s.sweepRep.TotalPoints) {
		t.Errorf("sweep progress %v of %v, want %d of %d", sw["shard-0-done"], sw["shard-0-total"], s.sweepRep.TotalPoints, s.sweepRep.TotalPoints)
	}
	ad := get(s.adapt)
	if ad["final-resource"] != s.adaptRep.FinalResource || ad["final-accuracy"] != s.adaptRep.FinalAccuracy {
		t.Errorf("adapt: page %v %v, report %v %v", ad["final-resource"], ad["final-accuracy"], s.adaptRep.FinalResource, s.adaptRep.FinalAccuracy)
	}
	// A point's design shows its figures and the architecture rebuilt
	// from the stored sweep, which --print-arch of the file gives.
	sf, err := sweep.Load("../page/testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range s.sweepRep.Points {
		r := f.get("/runs/" + strconv.FormatInt(s.sweep, 10) + "/points/" + url.PathEscape(p.ID))
		v := shownValues(t, r.body)
		if v["area-um2"] != p.AreaUM2 {
			t.Errorf("point %s: area %v, report %v", p.ID, v["area-um2"], p.AreaUM2)
		}
		d, reason := sf.Design(sf.Point(p.ID))
		if reason != "" {
			continue
		}
		m := archPre.FindStringSubmatch(r.body)
		if m == nil || html.UnescapeString(m[1]) != string(d.YAML) {
			t.Errorf("point %s: the architecture shown is not --print-arch's", p.ID)
		}
	}
	// Compare shows the diff's figures.
	cmp := shownValues(t, f.get("/compare?a="+strconv.FormatInt(s.eval, 10)+"&b="+strconv.FormatInt(s.eval2, 10)).body)
	code, b := f.do("GET", "/api/v1/runs/"+strconv.FormatInt(s.eval, 10)+"/diff/"+strconv.FormatInt(s.eval2, 10), "", nil)
	if code != 200 {
		t.Fatalf("diff: %d %s", code, b)
	}
	var d report.Diff
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	for i, fg := range d.Figures {
		p := "figure-" + strconv.Itoa(i) + "-"
		if cmp[p+"a-energy-pj"] != *fg.A.EnergyPJ || cmp[p+"b-latency-seconds"] != *fg.B.LatencySeconds {
			t.Errorf("compare %s (%s): page %v %v, diff %v %v", p, fg.Name, cmp[p+"a-energy-pj"], cmp[p+"b-latency-seconds"], *fg.A.EnergyPJ, *fg.B.LatencySeconds)
		}
	}
	if len(d.Figures) != len(s.evalRep.Layers)+1 {
		t.Errorf("compare: %d figures, want the total and %d layers", len(d.Figures), len(s.evalRep.Layers))
	}
}

func TestUISweepShards(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	done, rep := seedSweep(t, f.st, sweep.Shard{Index: 0, Count: 2})
	// Shard 1 begins, as nnergy sweep --shard 1/2 --store does, and has
	// stored none of its points yet.
	sw, err := sweep.Load("../page/testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	settings, _ := json.Marshal(map[string]string{"shard": "1/2"})
	running := store.Run{Kind: store.KindSweep, Version: "test", Command: []string{"nnergy", "sweep", "small.yaml", "--shard", "1/2"}, Workload: "lenet5", WorkloadDigest: sw.RunKey(), Settings: settings}
	if err := f.st.Begin(context.Background(), &running); err != nil {
		t.Fatal(err)
	}
	n0 := len(sweep.Shard{Index: 0, Count: 2}.Indices(rep.TotalPoints, rep.Shard.Seed))
	n1 := rep.TotalPoints - n0
	for _, id := range []int64{done, running.ID} {
		r := f.get("/runs/" + strconv.FormatInt(id, 10))
		v := shownValues(t, r.body)
		if v["shard-0-done"] != float64(n0) || v["shard-0-total"] != float64(n0) || v["shard-1-done"] != 0 || v["shard-1-total"] != float64(n1) {
			t.Errorf("run %d: shards %v/%v and %v/%v, want %d/%d and 0/%d", id, v["shard-0-done"], v["shard-0-total"], v["shard-1-done"], v["shard-1-total"], n0, n0, n1)
		}
		if id == running.ID && !strings.Contains(r.body, `<meta http-equiv="refresh" content="5">`) {
			t.Errorf("the running shard's page does not reload itself")
		}
	}
}

func TestUIScript(t *testing.T) {
	f := newFixture(t, Config{})
	r := f.get("/ui.js")
	if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") || !strings.Contains(r.body, "EventSource") {
		t.Fatalf("GET /ui.js: %d %q %.80s", r.code, r.header.Get("Content-Type"), r.body)
	}
	etag := r.header.Get("ETag")
	if etag == "" || !strings.Contains(r.header.Get("Cache-Control"), "max-age") {
		t.Errorf("GET /ui.js: ETag %q, Cache-Control %q: not cacheable", etag, r.header.Get("Cache-Control"))
	}
	if r := f.get("/ui.js", "If-None-Match", etag); r.code != http.StatusNotModified {
		t.Errorf("GET /ui.js with its ETag: %d, want 304", r.code)
	}
}

func TestUIToken(t *testing.T) {
	f := newFixture(t, Config{Token: "s3cret"})
	if r := f.get("/"); r.code != 401 || !strings.Contains(r.body, "?token=") {
		t.Errorf("GET / without a token: %d %.200s, want a 401 page", r.code, r.body)
	}
	if r := f.get("/?token=wrong"); r.code != 401 || r.header.Get("Set-Cookie") != "" {
		t.Errorf("GET /?token=wrong: %d, cookie %q", r.code, r.header.Get("Set-Cookie"))
	}
	if r := f.get("/api/v1/runs?token=s3cret"); r.code != 401 {
		t.Errorf("the API took ?token=: %d", r.code)
	}
	r := f.get("/?kind=eval&token=s3cret")
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/?kind=eval" {
		t.Fatalf("GET /?kind=eval&token=s3cret: %d to %q, want 303 to /?kind=eval", r.code, r.header.Get("Location"))
	}
	c := r.header.Get("Set-Cookie")
	for _, w := range []string{TokenCookie + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(c, w) {
			t.Errorf("cookie %q: no %s", c, w)
		}
	}
	if strings.Contains(c, "s3cret") {
		t.Errorf("the cookie holds the token itself: %q", c)
	}
	cookie := strings.SplitN(c, ";", 2)[0]
	for _, p := range []string{"/", "/new", "/ui.js", "/api/v1/runs"} {
		if r := f.get(p, "Cookie", cookie); r.code != 200 {
			t.Errorf("GET %s with the cookie: %d", p, r.code)
		}
	}
	if r := f.get("/", "Cookie", TokenCookie+"=forged"); r.code != 401 {
		t.Errorf("GET / with a forged cookie: %d", r.code)
	}
	if r := f.get("/api/v1/runs", "Authorization", "Bearer s3cret"); r.code != 200 {
		t.Errorf("GET /api/v1/runs with the Bearer token: %d", r.code)
	}
}

func TestUINewWithoutScript(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	form := url.Values{"arch": {"eyeriss"}, "model": {"lenet5"}, "batch": {"2"}, "dataflow": {"ws"}}
	r := f.send("POST", "/new", "application/x-www-form-urlencoded", form.Encode())
	loc := r.header.Get("Location")
	if r.code != http.StatusSeeOther || !strings.HasPrefix(loc, "/runs/") {
		t.Fatalf("POST /new: %d to %q: %.300s", r.code, loc, r.body)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/runs/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	_, run := f.wait(id)
	if run.Status != "done" || run.Workload != "lenet5" || !slices.Contains(run.Command, "ws") {
		t.Errorf("run %d: %s %q, command %q", id, run.Status, run.Error, run.Command)
	}
	page := f.get(loc)
	if !strings.Contains(page.body, `id="total-energy-pj"`) {
		t.Errorf("%s does not show the eval", loc)
	}
	// A bad form comes back with the API's message and its values.
	bad := url.Values{"arch": {""}, "arch_yaml": {"version: 1\nname: [\n"}, "model": {"lenet5"}}
	r = f.send("POST", "/new", "application/x-www-form-urlencoded", bad.Encode())
	if r.code != 400 || !strings.Contains(r.body, `id="form-error" class="error">arch_yaml:`) || !strings.Contains(r.body, "name: [") {
		t.Errorf("POST /new with bad YAML: %d %.600s", r.code, r.body)
	}
}

// TestUIRunActions: the run header's Delete button removes a finished run
// once its box is ticked, Cancel answers for a run that is no job, and a
// form posted from another site's page is refused (API clients without
// browser headers pass).
func TestUIRunActions(t *testing.T) {
	f := newFixture(t, Config{Jobs: 1})
	a := f.eval(`{"arch": "eyeriss", "model": "lenet5"}`)
	if _, run := f.wait(a.ID); run.Status != "done" {
		t.Fatalf("eval: %s %q", run.Status, run.Error)
	}
	path := fmt.Sprintf("/runs/%d", a.ID)
	if r := f.get(path); !strings.Contains(r.body, `id="delete-form"`) || strings.Contains(r.body, `id="cancel-form"`) {
		t.Errorf("a finished run's header: want Delete and no Cancel:\n%.2000s", r.body)
	}
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		code                     int
		want                     string
	}{
		{"delete unconfirmed", "POST", path + "/delete", "", nil, 400, "tick the box"},
		{"cancel a finished run", "POST", path + "/cancel", "", nil, 409, "not a job of this server that is running"},
		{"delete from another site", "POST", path + "/delete", "confirm=yes", []string{"Sec-Fetch-Site", "cross-site"}, 403, "another site"},
		{"API job from another origin", "POST", "/api/v1/jobs/eval", `{"arch":"eyeriss","model":"lenet5"}`, []string{"Origin", "https://evil.example"}, 403, "another site"},
		{"delete unknown run", "POST", "/runs/99999/delete", "confirm=yes", nil, 404, "99999"},
	} {
		r := f.send(tc.method, tc.path, form, tc.body, tc.header...)
		if r.code != tc.code || !strings.Contains(r.body, tc.want) {
			t.Errorf("%s: %d %.300s; want %d with %q", tc.name, r.code, r.body, tc.code, tc.want)
		}
	}
	if r := f.get(path); r.code != 200 {
		t.Fatalf("the refused deletes removed the run: %d", r.code)
	}
	r := f.send("POST", path+"/delete", form, "confirm=yes", "Sec-Fetch-Site", "same-origin")
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("delete: %d to %q: %.300s", r.code, r.header.Get("Location"), r.body)
	}
	if r := f.get(path); r.code != 404 {
		t.Errorf("deleted run still shown: %d", r.code)
	}
	// A running job's header offers Cancel, which cancels it.
	release := hold(f.srv)
	defer release()
	b := f.eval(`{"arch": "eyeriss", "model": "lenet5"}`)
	path = fmt.Sprintf("/runs/%d", b.ID)
	if r := f.get(path); !strings.Contains(r.body, `id="cancel-form"`) || strings.Contains(r.body, `id="delete-form"`) {
		t.Errorf("a running job's header: want Cancel and no Delete:\n%.2000s", r.body)
	}
	if r := f.send("POST", path+"/cancel", form, ""); r.code != http.StatusSeeOther || r.header.Get("Location") != path {
		t.Fatalf("cancel: %d to %q: %.300s", r.code, r.header.Get("Location"), r.body)
	}
	if _, run := f.wait(b.ID); run.Status != "failed" || run.Error != "cancelled" {
		t.Errorf("cancelled job: %s %q", run.Status, run.Error)
	}
}
