package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/nnergy/nnergy/internal/browser"
	"github.com/nnergy/nnergy/report"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "rewrite the README's screenshots of the HTML reports in docs/img")

// shown is what the browser shows of one element with a data-value: the
// exact value, the rounded text, and whether it is laid out on the page.
type shown struct {
	Value   string `json:"value"`
	Text    string `json:"text"`
	Visible bool   `json:"visible"`
}

// shownValues reads every element with an id and a data-value from the page
// the tab shows.
const shownValues = `Object.fromEntries([...document.querySelectorAll('[id][data-value]')].map(e =>
	[e.id, {value: e.dataset.value, text: e.textContent.trim(), visible: e.getClientRects().length > 0}]))`

// servePages serves dir over HTTP on loopback: the pages come from a server,
// so that the browser reports every request they make.
func servePages(t *testing.T, dir string) string {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// openPage opens addr in a viewport of 1200×900 CSS pixels and returns what
// it shows under each data-value id.
func openPage(t *testing.T, tab *browser.Tab, addr string) map[string]shown {
	t.Helper()
	tab.Do(chromedp.EmulateViewport(1200, 900), chromedp.Navigate(addr))
	return browser.Eval[map[string]shown](tab, shownValues)
}

// checkShown compares the page's values with the report's: every wanted id
// is there, visible, with a text, and its data-value parses to the report's
// number exactly.
func checkShown(t *testing.T, got map[string]shown, want map[string]float64) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("no values to check")
	}
	for id, w := range want {
		s, ok := got[id]
		if !ok {
			t.Errorf("%s: not on the page", id)
			continue
		}
		v, err := strconv.ParseFloat(s.Value, 64)
		switch {
		case err != nil:
			t.Errorf("%s: data-value %q: %v", id, s.Value, err)
		case v != w:
			t.Errorf("%s: page shows %v (%q), report says %v", id, v, s.Text, w)
		case !s.Visible || s.Text == "":
			t.Errorf("%s: not shown (visible %v, text %q)", id, s.Visible, s.Text)
		default:
			r, half, err := readShown(s.Text)
			if err != nil {
				t.Errorf("%s: %v", id, err)
			} else if math.Abs(r-w) > half*(1+1e-9) {
				t.Errorf("%s: text %q reads %v, report says %v (off by more than half its last digit, %v)", id, s.Text, r, w, half)
			}
		}
	}
}

// shownNumber is the number at the start of an element's text: digits, an
// optional SI prefix and a unit, as package page rounds them ("16.4 µJ",
// "843µ", "4.3%", "1.16× (bound 14.2 µJ)").
var shownNumber = regexp.MustCompile(`^(-?\d+(?:\.(\d+))?)(?:e([+-]\d+))? ?(T|G|M|k|m|µ|n|p)?(\S*)`)

// prefixes are the SI prefixes' factors.
var prefixes = map[string]float64{"": 1, "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "m": 1e-3, "µ": 1e-6, "n": 1e-9, "p": 1e-12}

// readShown reads a shown number back in the report's unit (energies in J
// become pJ, percentages fractions) with half its last digit's value, the
// most rounding can have moved it.
func readShown(text string) (v, half float64, err error) {
	m := shownNumber.FindStringSubmatch(text)
	if m == nil {
		return 0, 0, fmt.Errorf("text %q: no number", text)
	}
	mant, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, 0, err
	}
	exp := 0
	if m[3] != "" {
		if exp, err = strconv.Atoi(m[3]); err != nil {
			return 0, 0, err
		}
	}
	scale := prefixes[m[4]] * math.Pow10(exp)
	switch {
	case strings.HasPrefix(m[5], "J"):
		scale *= 1e12
	case strings.HasPrefix(m[5], "%"):
		scale /= 100
	}
	return mant * scale, 0.5 * math.Pow10(-len(m[2])) * scale, nil
}

func TestReadShown(t *testing.T) {
	for _, c := range []struct {
		text    string
		v, half float64
	}{
		{"16.4 µJ", 16.4e6, 0.05e6}, {"843µ", 843e-6, 0.5e-6}, {"4.3%", 0.043, 0.0005}, {"1.16× (bound 14.2 µJ)", 1.16, 0.005},
		{"39.434 pJ", 39.434, 0.0005}, {"140 kB", 140e3, 500}, {"1e+03k", 1e6, 500e3}, {"416520", 416520, 0.5}, {"0.8750", 0.875, 0.00005},
	} {
		v, half, err := readShown(c.text)
		if err != nil || math.Abs(v-c.v) > 1e-9*math.Abs(c.v) || math.Abs(half-c.half) > 1e-9*c.half {
			t.Errorf("readShown(%q) = %v, %v, %v; want %v, %v", c.text, v, half, err, c.v, c.half)
		}
	}
	if _, _, err := readShown("front"); err == nil {
		t.Error("readShown(front): no error")
	}
}

// checkNoRequests fails unless the only requests the tab sent are for page
// and for its origin's /favicon.ico, which Chromium itself asks every HTTP
// origin for (the page has no link to it; the request can come after the
// page has loaded, so it is allowed, not required).
func checkNoRequests(t *testing.T, tab *browser.Tab, page string) {
	t.Helper()
	u, err := url.Parse(page)
	if err != nil {
		t.Fatal(err)
	}
	favicon := u.Scheme + "://" + u.Host + "/favicon.ico"
	got := tab.Requests()
	if !slices.Equal(slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s == favicon }), []string{page}) {
		t.Errorf("requests: %q, want only the page %q", got, page)
	}
}

// saveScreenshot copies a screenshot to docs/img under -update-screenshots.
func saveScreenshot(t *testing.T, png []byte, name string) {
	t.Helper()
	if !*updateScreenshots {
		return
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", "img", name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeReport runs nnergy args with --report DIR/COMMAND.html in a new
// directory DIR, which it returns, and decodes the JSON it prints into rep
// unless rep is nil.
func writeReport(t *testing.T, rep any, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	code, stdout, stderr := runNnergy(t, append(args, "--report", filepath.Join(dir, args[0]+".html"))...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", args[0], code, stderr)
	}
	if rep != nil {
		if err := json.Unmarshal([]byte(stdout), rep); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestBrowserEvalPage(t *testing.T) {
	tab := browser.New(t)
	var rep report.Eval
	dir := writeReport(t, &rep, "eval", "--model", "lenet5", "--density", "inputs=0.5", "--format", "json")
	tot := rep.Total
	want := map[string]float64{
		"batch": float64(rep.Batch), "total-energy-pj": tot.EnergyPJ, "total-energy-per-inference-pj": tot.EnergyPerInferencePJ,
		"total-dynamic-pj": tot.DynamicPJ, "total-static-pj": tot.StaticPJ, "total-macs": float64(tot.MACs),
		"total-energy-pj-per-mac": tot.EnergyPJPerMAC, "total-cycles": float64(tot.Cycles), "total-latency-seconds": tot.LatencySeconds,
		"total-energy-over-lower-bound": tot.EnergyOverLowerBound, "total-lower-bound-pj": tot.LowerBoundPJ,
		"total-inferences-per-second": tot.InferencesPerSecond, "total-power-watts": tot.PowerWatts,
		"total-utilization": tot.Utilization, "total-dram-bytes": tot.DRAMBytes,
		"area-compute-um2": rep.Area.ComputeUM2, "area-total-um2": rep.Area.TotalUM2, "leakage-watts": rep.LeakageWatts,
	}
	if tot.Dense == nil {
		t.Fatal("a sparse eval without its dense twin")
	}
	want["total-dense-energy-pj"] = tot.Dense.EnergyPJ
	want["total-dense-saved-fraction"] = tot.Dense.SavedFraction
	for i, l := range rep.Area.Levels {
		want["area-level-"+strconv.Itoa(i)] = l.TotalUM2
	}
	for i, l := range tot.Levels {
		p := "level-" + strconv.Itoa(i) + "-"
		want[p+"energy-pj"] = l.EnergyPJ
		want[p+"weights-pj"] = l.Tensors.Weights.EnergyPJ
		want[p+"inputs-pj"] = l.Tensors.Inputs.EnergyPJ
		want[p+"outputs-pj"] = l.Tensors.Outputs.EnergyPJ
		want[p+"dense-pj"] = tot.Dense.LevelsEnergyPJ[i]
	}
	for i, l := range rep.Layers {
		p := "layer-" + strconv.Itoa(i) + "-"
		want[p+"macs"] = float64(l.MACs)
		want[p+"energy-pj"] = l.EnergyPJ
		want[p+"energy-pj-per-mac"] = l.EnergyPJPerMAC
		want[p+"energy-over-lower-bound"] = l.EnergyOverLowerBound
		want[p+"cycles"] = float64(l.Cycles)
		want[p+"utilization"] = l.Utilization
	}

	page := servePages(t, dir) + "/eval.html"
	got := openPage(t, tab, page)
	checkShown(t, got, want)
	// Counts are shown whole.
	for _, id := range []string{"total-macs", "total-cycles", "layer-0-macs", "layer-0-cycles"} {
		if got[id].Text != got[id].Value {
			t.Errorf("%s: text %q, want %q", id, got[id].Text, got[id].Value)
		}
	}
	checkNoRequests(t, tab, page)
	saveScreenshot(t, tab.ViewportScreenshot("eval.png"), "report-eval.png")
	tab.Screenshot("eval-full.png")
}

func TestBrowserSweepPage(t *testing.T) {
	tab := browser.New(t)
	var rep report.Sweep
	dir := writeReport(t, &rep, "sweep", "../../page/testdata/small.yaml", "--pareto", "energy,latency", "--progress", "never", "--format", "json")
	want := map[string]float64{"total-points": float64(rep.TotalPoints)}
	index := map[string]int{}
	for _, p := range rep.Points {
		index[p.ID] = p.Index
		for w, r := range p.Results {
			if !r.OK {
				continue
			}
			id := "point-" + strconv.Itoa(w) + "-" + strconv.Itoa(p.Index) + "-"
			want[id+"energy-pj"] = r.EnergyPJ
			want[id+"latency-seconds"] = r.LatencySeconds
			want[id+"edp"] = r.EDPJouleSeconds
			want[id+"power-watts"] = r.PowerWatts
			want[id+"area-um2"] = p.AreaUM2
		}
	}
	base := servePages(t, dir) + "/sweep.html"
	checkShown(t, openPage(t, tab, base), want)
	saveScreenshot(t, tab.ViewportScreenshot("sweep.png"), "report-sweep.png")
	tab.Screenshot("sweep-full.png")

	// Click the front's last point of workload 0: the page lands on its row.
	if rep.Pareto == nil || len(rep.Pareto.Fronts) == 0 || len(rep.Pareto.Fronts[0].Points) == 0 {
		t.Fatalf("no Pareto front in the report: %+v", rep.Pareto)
	}
	front := rep.Pareto.Fronts[0]
	pi, ok := index[front.Points[len(front.Points)-1]]
	if !ok {
		t.Fatalf("front point %q is not a point", front.Points[len(front.Points)-1])
	}
	row := "point-" + strconv.Itoa(front.Workload) + "-" + strconv.Itoa(pi)
	dot := "dot-" + strconv.Itoa(front.Workload) + "-" + strconv.Itoa(pi)
	if browser.Eval[bool](tab, `(()=>{const r=document.getElementById('`+row+`').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight})()`) {
		t.Fatalf("%s is in view before the click: the click would prove nothing", row)
	}
	tab.Do(chromedp.Click(chromedp.ID(dot)), chromedp.WaitVisible(chromedp.ID(row)))
	if got := browser.Eval[string](tab, `location.hash`); got != "#"+row {
		t.Errorf("after clicking %s: location.hash %q, want #%s", dot, got, row)
	}
	if !browser.Eval[bool](tab, `(()=>{const r=document.getElementById('`+row+`').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight})()`) {
		t.Errorf("after clicking %s: row %s is not in the viewport", dot, row)
	}
	if cls := browser.Eval[string](tab, `document.getElementById('`+row+`').className`); cls != "front" {
		t.Errorf("%s: class %q, want front", row, cls)
	}
	tab.ViewportScreenshot("sweep-clicked.png")
	// A fragment link is not a request.
	checkNoRequests(t, tab, base)
}

func TestBrowserAdaptPage(t *testing.T) {
	tab := browser.New(t)
	script, err := filepath.Abs("testdata/adapt_finetune.sh")
	if err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(t.TempDir(), "adapt.json")
	dir := writeReport(t, nil, "adapt", "--model", "lenet5", "--data", "synthetic", "--measure", "macs", "--budget", "macs=0.8",
		"--init-reduction", "0.1", "--finetune-cmd", script, "--workers", "2", "--history", hist)
	var rep report.Adapt
	readJSON(t, hist, &rep)
	want := map[string]float64{
		"initial-resource": rep.InitialResource, "initial-accuracy": rep.InitialAccuracy, "budget-resource": rep.BudgetResource,
		"final-resource": rep.FinalResource, "final-accuracy": rep.FinalAccuracy,
	}
	for i, it := range rep.Iterations {
		p := "iteration-" + strconv.Itoa(i) + "-"
		want[p+"resource"] = it.Resource
		want[p+"resource-ratio"] = it.ResourceRatio
		want[p+"accuracy"] = it.Accuracy
	}
	for i, pr := range rep.Proposals {
		p := "proposal-" + strconv.Itoa(i) + "-"
		want[p+"resource"] = pr.Resource
		want[p+"accuracy"] = pr.Accuracy
	}
	if len(rep.Iterations) == 0 {
		t.Fatal("adapt ran no iteration")
	}
	page := servePages(t, dir) + "/adapt.html"
	checkShown(t, openPage(t, tab, page), want)
	if !browser.Eval[bool](tab, `document.getElementById('curve').getClientRects().length > 0`) {
		t.Error("the curve is not shown")
	}
	checkNoRequests(t, tab, page)
	tab.Screenshot("adapt-full.png")
}
