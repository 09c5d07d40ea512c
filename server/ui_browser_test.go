package server

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/nnergy/nnergy/internal/browser"
	"github.com/nnergy/nnergy/report"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "rewrite the README's screenshots of the web UI in docs/img")

// shownJS reads every element with an id and a data-value from the page.
const shownJS = `Object.fromEntries([...document.querySelectorAll('[id][data-value]')].map(e =>
	[e.id, {value: e.dataset.value, text: e.textContent.trim(), visible: e.getClientRects().length > 0}]))`

type shownValue struct {
	Value   string `json:"value"`
	Text    string `json:"text"`
	Visible bool   `json:"visible"`
}

// ui is a browser tab on a test server's web UI.
type ui struct {
	t   *testing.T
	f   *fixture
	tab *browser.Tab
}

// open navigates to path and returns the values the page shows.
func (u *ui) open(path string) map[string]shownValue {
	u.t.Helper()
	u.tab.Do(chromedp.EmulateViewport(1200, 900), chromedp.Navigate(u.f.ts.URL+path))
	return browser.Eval[map[string]shownValue](u.tab, shownJS)
}

// check compares the values shown with want: each id there, visible, with
// a text, its data-value exactly the API's number.
func (u *ui) check(page string, got map[string]shownValue, want map[string]float64) {
	u.t.Helper()
	if len(want) == 0 {
		u.t.Fatalf("%s: no values to check", page)
	}
	for id, w := range want {
		s, ok := got[id]
		if !ok {
			u.t.Errorf("%s: %s not on the page", page, id)
			continue
		}
		v, err := strconv.ParseFloat(s.Value, 64)
		switch {
		case err != nil:
			u.t.Errorf("%s: %s: %v", page, id, err)
		case v != w:
			u.t.Errorf("%s: %s shows %v (%q), the API says %v", page, id, v, s.Text, w)
		case !s.Visible || s.Text == "":
			u.t.Errorf("%s: %s is not shown", page, id)
		}
	}
}

// shot saves a screenshot of the viewport as an artifact, and under
// -update-screenshots as docs/img/NAME.
func (u *ui) shot(name string) {
	u.t.Helper()
	png := u.tab.ViewportScreenshot(name)
	if *updateScreenshots {
		if err := os.WriteFile(filepath.Join("..", "docs", "img", name), png, 0o644); err != nil {
			u.t.Fatal(err)
		}
	}
}

// apiReport reads the report of run id from the API into v.
func (u *ui) apiReport(id int64, v any) {
	u.t.Helper()
	code, b := u.f.do("GET", fmt.Sprintf("/api/v1/runs/%d", id), "", nil)
	if code != http.StatusOK {
		u.t.Fatalf("GET run %d: %d %s", id, code, b)
	}
	var r report.Run
	if err := json.Unmarshal(b, &r); err != nil {
		u.t.Fatal(err)
	}
	if err := json.Unmarshal(r.Report, v); err != nil {
		u.t.Fatalf("run %d: %v", id, err)
	}
}

// waitFor waits until expr is true in the page, across navigations, for at
// most a minute.
func (u *ui) waitFor(expr string) error {
	var last error
	for range 600 {
		ok, err := chromedp.Run(u.tab.Context(), chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return nil
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s is still false after a minute (last error %v)", expr, last)
}

func (u *ui) location() string {
	u.t.Helper()
	return browser.Eval[string](u.tab, `location.pathname + location.search`)
}

// TestBrowserUI opens every page of the web UI in Chromium on a store with
// an eval, a sweep and a NetAdapt run, checks the numbers against the API,
// switches the sweep's axes, hovers and clicks a Pareto point, and starts
// an eval from the form and watches it finish.
func TestBrowserUI(t *testing.T) {
	tab := browser.New(t)
	f := newFixture(t, Config{Jobs: 2})
	s := seed(t, f)
	u := &ui{t: t, f: f, tab: tab}
	id := func(v int64) string { return strconv.FormatInt(v, 10) }

	// The runs list: every run's totals as the API gives them.
	var ev report.Eval
	u.apiReport(s.eval, &ev)
	var ev2 report.Eval
	u.apiReport(s.eval2, &ev2)
	var listing report.Runs
	if code, b := f.do("GET", "/api/v1/runs", "", nil); code != 200 || json.Unmarshal(b, &listing) != nil {
		t.Fatalf("GET /api/v1/runs: %d %s", code, b)
	}
	got := u.open("/")
	u.check("/", got, map[string]float64{"run-" + id(s.eval) + "-energy-pj": ev.Total.EnergyPJ, "run-" + id(s.eval) + "-latency-seconds": ev.Total.LatencySeconds,
		"run-" + id(s.eval2) + "-energy-pj": ev2.Total.EnergyPJ, "run-count": float64(len(listing.Runs))})
	u.shot("ui-runs.png")
	// The filter form narrows the list.
	tab.Do(chromedp.SetValue(chromedp.CSS(`select[name="kind"]`), "eval"), chromedp.Click(chromedp.CSS(`#filter button`)),
		chromedp.WaitVisible(chromedp.ID(`clear`)))
	if loc := u.location(); loc != "/?model=&arch=&kind=eval" {
		t.Errorf("after filtering by kind: at %s", loc)
	}
	if n := browser.Eval[int](tab, `document.querySelectorAll('#runs tr[id^="run-"]').length`); n != 3 {
		t.Errorf("filtered by kind eval: %d rows, want 3", n)
	}

	// An eval run: the figures of its report.
	want := map[string]float64{"total-energy-pj": ev.Total.EnergyPJ, "total-cycles": float64(ev.Total.Cycles), "total-latency-seconds": ev.Total.LatencySeconds,
		"total-energy-over-lower-bound": ev.Total.EnergyOverLowerBound, "total-lower-bound-pj": ev.Total.LowerBoundPJ, "area-total-um2": ev.Area.TotalUM2}
	for i, l := range ev.Layers {
		want["layer-"+strconv.Itoa(i)+"-energy-pj"] = l.EnergyPJ
		want["layer-"+strconv.Itoa(i)+"-energy-over-lower-bound"] = l.EnergyOverLowerBound
	}
	for i, l := range ev.Total.Levels {
		want["level-"+strconv.Itoa(i)+"-weights-pj"] = l.Tensors.Weights.EnergyPJ
	}
	u.check("eval", u.open("/runs/"+id(s.eval)), want)
	u.shot("ui-eval.png")

	// The sweep: its points' figures, then the axes switched in place.
	var sw report.Sweep
	u.apiReport(s.sweep, &sw)
	want = map[string]float64{"total-points": float64(sw.TotalPoints), "shard-0-done": float64(sw.TotalPoints)}
	for _, p := range sw.Points {
		for _, r := range p.Results {
			if r.OK {
				k := "point-" + strconv.Itoa(r.Workload) + "-" + strconv.Itoa(p.Index) + "-"
				want[k+"energy-pj"], want[k+"latency-seconds"], want[k+"area-um2"] = r.EnergyPJ, r.LatencySeconds, p.AreaUM2
			}
		}
	}
	u.check("sweep", u.open("/runs/"+id(s.sweep)), want)
	front := sw.Pareto.Fronts[0]
	pid := front.Points[len(front.Points)-1]
	index := -1
	for _, p := range sw.Points {
		if p.ID == pid {
			index = p.Index
		}
	}
	dot := "dot-0-" + strconv.Itoa(index)
	if hidden := browser.Eval[bool](tab, `document.getElementById('axes-submit').hidden`); !hidden {
		t.Error("the script did not take over the axes form")
	}
	before := browser.Eval[string](tab, `document.getElementById('`+dot+`').getAttribute('cx')`)
	tab.Do(chromedp.SetValue(chromedp.CSS(`#axis-x`), "area"))
	browser.Eval[bool](tab, `document.getElementById('axis-x').dispatchEvent(new Event('change'))`)
	if l := browser.Eval[string](tab, `document.getElementById('xlabel-0').textContent`); l != "area (µm², log)" {
		t.Errorf("x axis after choosing area: %q", l)
	}
	if after := browser.Eval[string](tab, `document.getElementById('`+dot+`').getAttribute('cx')`); after == before {
		t.Errorf("dot %s stayed at x %s when the x axis changed to area", dot, after)
	}
	if loc := u.location(); !strings.Contains(loc, "x=area") {
		t.Errorf("the URL %s does not keep the axes", loc)
	}
	// The server draws the same axes from that URL: the dot is where the
	// script put it.
	moved := browser.Eval[string](tab, `document.getElementById('`+dot+`').getAttribute('cx')`)
	r := f.get(u.location())
	if !regexp.MustCompile(`id="` + dot + `"[^>]* cx="` + regexp.QuoteMeta(moved) + `"`).MatchString(r.body) {
		t.Errorf("the server's page for %s does not put %s at cx %s", u.location(), dot, moved)
	}
	// Hover shows the design.
	browser.Eval[bool](tab, `(document.getElementById('pareto-0').scrollIntoView(), true)`)
	rect := browser.Eval[[]float64](tab, `(()=>{const b=document.getElementById('`+dot+`').getBoundingClientRect(); return [b.x+b.width/2, b.y+b.height/2]})()`)
	tab.Do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, rect[0], rect[1]))
	if h := browser.Eval[string](tab, `document.getElementById('hover-0').textContent`); !strings.Contains(h, pid) || !strings.Contains(h, "on the Pareto front") || !strings.Contains(h, "energy ") {
		t.Errorf("hovering %s shows %q", dot, h)
	}
	u.shot("ui-sweep.png")
	// Click it: its design page.
	tab.Do(chromedp.Click(chromedp.ID(dot)), chromedp.WaitVisible(chromedp.ID(`arch-yaml`)))
	if loc := u.location(); loc != "/runs/"+id(s.sweep)+"/points/"+pid {
		t.Errorf("after clicking %s: at %s", dot, loc)
	}
	var pt *report.SweepPoint
	for i := range sw.Points {
		if sw.Points[i].ID == pid {
			pt = &sw.Points[i]
		}
	}
	res := pt.Results[0]
	u.check("point", browser.Eval[map[string]shownValue](tab, shownJS), map[string]float64{"area-um2": pt.AreaUM2, "result-0-energy-pj": res.EnergyPJ, "result-0-latency-seconds": res.LatencySeconds})
	if fr := browser.Eval[string](tab, `document.getElementById('result-0-front').textContent`); fr != "on the front" {
		t.Errorf("point %s: front %q", pid, fr)
	}
	u.shot("ui-point.png")
	// Evaluate the rebuilt design on the sweep's workload: the run's
	// energy is the sweep's for the point.
	tab.Do(chromedp.Click(chromedp.CSS(`button.eval-point`)))
	if err := u.waitFor(`location.pathname.startsWith('/runs/') && !location.pathname.includes('/points/') && document.getElementById('total-energy-pj') !== null`); err != nil {
		t.Fatalf("evaluating point %s did not land on its run: %v (at %s; %s)", pid, err, u.location(), browser.Eval[string](tab, `(document.getElementById('eval-status')||{}).textContent||''`))
	}
	var pe report.Eval
	pointRun, err := strconv.ParseInt(strings.TrimPrefix(u.location(), "/runs/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	u.apiReport(pointRun, &pe)
	if pe.Total.EnergyPJ != res.EnergyPJ {
		t.Errorf("point %s evaluated: %v pJ, the sweep says %v pJ", pid, pe.Total.EnergyPJ, res.EnergyPJ)
	}

	// NetAdapt: the curve and the history.
	var ad report.Adapt
	u.apiReport(s.adapt, &ad)
	want = map[string]float64{"final-resource": ad.FinalResource, "final-accuracy": ad.FinalAccuracy, "budget-resource": ad.BudgetResource}
	for i, it := range ad.Iterations {
		want["iteration-"+strconv.Itoa(i)+"-accuracy"] = it.Accuracy
	}
	u.check("adapt", u.open("/runs/"+id(s.adapt)), want)
	if !browser.Eval[bool](tab, `document.getElementById('curve').getClientRects().length > 0`) {
		t.Error("adapt: the curve is not shown")
	}
	u.shot("ui-adapt.png")

	// Compare the two evals layer by layer, reached from the run's header.
	u.open("/runs/" + id(s.eval))
	tab.Do(chromedp.SetValue(chromedp.CSS(`#compare-form select`), id(s.eval2)), chromedp.Click(chromedp.CSS(`#compare-form button`)),
		chromedp.WaitVisible(chromedp.ID(`figure-table`)))
	code, b := f.do("GET", "/api/v1/runs/"+id(s.eval)+"/diff/"+id(s.eval2), "", nil)
	if code != http.StatusOK {
		t.Fatalf("diff: %d %s", code, b)
	}
	var d report.Diff
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	want = map[string]float64{}
	for i, fg := range d.Figures {
		p := "figure-" + strconv.Itoa(i) + "-"
		want[p+"a-energy-pj"], want[p+"b-energy-pj"], want[p+"a-latency-seconds"], want[p+"b-latency-seconds"] = *fg.A.EnergyPJ, *fg.B.EnergyPJ, *fg.A.LatencySeconds, *fg.B.LatencySeconds
	}
	u.check("compare", browser.Eval[map[string]shownValue](tab, shownJS), want)
	u.shot("ui-compare.png")

	// Start an eval from the form and land on its run, done.
	u.open("/new")
	tab.Do(chromedp.SetValue(chromedp.CSS(`#model`), "alexnet"), chromedp.SetValue(chromedp.CSS(`#dataflow`), "ws"))
	u.shot("ui-new.png")
	tab.Do(chromedp.Click(chromedp.ID(`start`)))
	if err := u.waitFor(`location.pathname.startsWith('/runs/') && document.getElementById('total-energy-pj') !== null`); err != nil {
		t.Fatalf("the eval started from /new did not land on its finished run: %v (at %s)", err, u.location())
	}
	newID, err := strconv.ParseInt(strings.TrimPrefix(u.location(), "/runs/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var ne report.Eval
	u.apiReport(newID, &ne)
	if ne.Model != "alexnet" || ne.Dataflow != "ws" {
		t.Errorf("the eval from the form: model %s, dataflow %v", ne.Model, ne.Dataflow)
	}
	u.check("new eval", browser.Eval[map[string]shownValue](tab, shownJS), map[string]float64{"total-energy-pj": ne.Total.EnergyPJ, "total-cycles": float64(ne.Total.Cycles)})

	// Every request stayed on the server.
	for _, req := range tab.Requests() {
		if !strings.HasPrefix(req, f.ts.URL+"/") {
			t.Errorf("the UI requested %s", req)
		}
	}
}

// TestBrowserUILiveProgress opens the page of a running eval job: it shows
// the job's progress and turns into the run's page when the job ends.
func TestBrowserUILiveProgress(t *testing.T) {
	tab := browser.New(t)
	f := newFixture(t, Config{Jobs: 1})
	release := hold(f.srv)
	run := f.eval(`{"arch": "eyeriss", "model": "alexnet"}`)
	u := &ui{t: t, f: f, tab: tab}
	u.open("/runs/" + strconv.FormatInt(run.ID, 10))
	if job := browser.Eval[string](tab, `document.body.dataset.job || ''`); job != strconv.FormatInt(run.ID, 10) {
		t.Fatalf("the running job's page has data-job %q", job)
	}
	if _, err := chromedp.Run(tab.Context(), chromedp.Poll[bool](`/^0 of [1-9][0-9]* shapes done/.test(document.getElementById('progress-text').textContent)`)); err != nil {
		t.Fatalf("the waiting job's progress is not shown: %v (%q)", err, browser.Eval[string](tab, `document.getElementById('progress-text').textContent`))
	}
	// The page's event stream is open: let the job run.
	release()
	if err := u.waitFor(`document.getElementById('total-energy-pj') !== null`); err != nil {
		t.Fatalf("the page did not turn into the finished run: %v", err)
	}
	var ev report.Eval
	u.apiReport(run.ID, &ev)
	u.check("live", browser.Eval[map[string]shownValue](tab, shownJS), map[string]float64{"total-energy-pj": ev.Total.EnergyPJ})
}
