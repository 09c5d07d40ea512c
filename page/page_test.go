package page_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/internal/golden"
	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/sweep"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// evalReport is nnergy eval --model lenet5 --density inputs=0.5 on
// eyeriss: a sparse evaluation, so the page has its dense twin.
func evalReport(t testing.TB) *report.Eval {
	t.Helper()
	spec, err := arch.Preset("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cost.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	net, err := zoo.Get("lenet5")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range net.Layers {
		l.Density[workload.Inputs] = 0.5
	}
	res, err := explore.Evaluate(context.Background(), m, net, explore.DataflowMapper(m, dataflow.RS))
	if err != nil {
		t.Fatal(err)
	}
	rs := dataflow.RS
	rep, err := report.NewEval(context.Background(), m, res, report.EvalOptions{Source: report.SourceBuilder, Dataflow: &rs})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// sweepReport is testdata/small.yaml with its energy-latency fronts.
func sweepReport(t testing.TB) *report.Sweep {
	t.Helper()
	s, err := sweep.Load("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), sweep.Options{Workers: 1})
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
	return rep
}

// history reads a pruning or NetAdapt history from testdata.
func history(t *testing.T, name string) (*report.Prune, *report.Adapt) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p, a, err := report.ReadHistory(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p, a
}

// adaptReport is the history of a NetAdapt run of LeNet-5 on synthetic
// data (nnergy adapt --model lenet5 --data synthetic --measure macs
// --budget macs=0.7 --init-reduction 0.1 --short-steps 3 --batch 32
// --holdout 500 --eval-images 200 --history testdata/adapt_lenet5.json).
func adaptReport(t *testing.T) *report.Adapt {
	t.Helper()
	_, a := history(t, "adapt_lenet5.json")
	if a == nil {
		t.Fatal("adapt_lenet5.json is not a NetAdapt history")
	}
	return a
}

// pruneReport is the history of nnergy prune --model lenet5 --data
// synthetic --method magnitude,energy-aware --target sparsity=0.5,0.8
// --arch eyeriss --history testdata/prune_lenet5.json.
func pruneReport(t *testing.T) *report.Prune {
	t.Helper()
	p, _ := history(t, "prune_lenet5.json")
	if p == nil {
		t.Fatal("prune_lenet5.json is not a pruning history")
	}
	return p
}

// pages renders the four pages the tests hold to golden files.
func pages(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, render := range map[string]func(*bytes.Buffer) error{
		"eval_lenet5.html":  func(b *bytes.Buffer) error { return page.Eval(b, evalReport(t)) },
		"sweep_small.html":  func(b *bytes.Buffer) error { return page.Sweep(b, sweepReport(t)) },
		"adapt_lenet5.html": func(b *bytes.Buffer) error { return page.Adapt(b, adaptReport(t)) },
		"prune_lenet5.html": func(b *bytes.Buffer) error { return page.Prune(b, pruneReport(t)) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b.Bytes()
	}
	return out
}

func TestGolden(t *testing.T) {
	for name, b := range pages(t) {
		golden.Check(t, filepath.Join("testdata", name), b)
	}
}

// external matches what would make a page load something: a src or an
// href that is not a fragment, a <link>, a <script>, an @import or a url().
var external = regexp.MustCompile(`(?i)\ssrc\s*=|\shref\s*=\s*"[^#]|<link\b|<script\b|@import|url\(`)

func TestSelfContained(t *testing.T) {
	for name, b := range pages(t) {
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to something outside it: %q", name, m)
		}
		if !bytes.Contains(b, []byte("<svg ")) {
			t.Errorf("%s has no inline SVG", name)
		}
	}
	// The check catches what it is for.
	for _, bad := range []string{`<img src="a.png">`, `<a href="https://x">`, `<link rel="stylesheet" href="s.css">`, `<script>`, `background: url(x.png)`} {
		if !external.MatchString(bad) {
			t.Errorf("external does not catch %s", bad)
		}
	}
}

var valueRE = regexp.MustCompile(`id="([^"]+)" data-value="([^"]+)"`)

// values returns every figure of a page by its element's id.
func values(t *testing.T, b []byte) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, m := range valueRE.FindAllSubmatch(b, -1) {
		id := string(m[1])
		v, err := strconv.ParseFloat(html.UnescapeString(string(m[2])), 64)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if _, dup := out[id]; dup {
			t.Fatalf("id %s twice", id)
		}
		out[id] = v
	}
	return out
}

// checkValues checks that every id in want shows its value.
func checkValues(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("no element %s", id)
		case g != w:
			t.Errorf("%s = %v, report %v", id, g, w)
		}
	}
}

func TestEvalNumbers(t *testing.T) {
	rep := evalReport(t)
	var b bytes.Buffer
	if err := page.Eval(&b, rep); err != nil {
		t.Fatal(err)
	}
	tot := &rep.Total
	want := map[string]float64{
		"total-energy-pj": tot.EnergyPJ, "total-cycles": float64(tot.Cycles), "total-macs": float64(tot.MACs),
		"total-energy-over-lower-bound": tot.EnergyOverLowerBound, "total-lower-bound-pj": tot.LowerBoundPJ,
		"total-dense-energy-pj": tot.Dense.EnergyPJ, "total-static-pj": tot.StaticPJ,
		"area-total-um2": rep.Area.TotalUM2, "leakage-watts": rep.LeakageWatts,
	}
	for i, l := range rep.Layers {
		p := "layer-" + strconv.Itoa(i)
		want[p+"-energy-pj"], want[p+"-cycles"], want[p+"-macs"] = l.EnergyPJ, float64(l.Cycles), float64(l.MACs)
		want[p+"-energy-over-lower-bound"], want[p+"-utilization"] = l.EnergyOverLowerBound, l.Utilization
		want[p+"-dense-energy-pj"] = l.Dense.EnergyPJ
	}
	for i, l := range tot.Levels {
		p := "level-" + strconv.Itoa(i)
		want[p+"-energy-pj"], want[p+"-weights-pj"], want[p+"-dense-pj"] = l.EnergyPJ, l.Tensors.Weights.EnergyPJ, tot.Dense.LevelsEnergyPJ[i]
	}
	checkValues(t, values(t, b.Bytes()), want)
	// Each layer's mapping is on the page as a loop nest.
	for i, l := range rep.Layers {
		for _, ml := range l.Mapping.Levels {
			for _, lp := range ml.Temporal {
				loop := "for " + lp.Dim + " in [0:" + strconv.Itoa(lp.Factor) + ")"
				if !bytes.Contains(b.Bytes(), []byte(loop)) {
					t.Errorf("layer %d: no %q", i, loop)
				}
			}
		}
	}
}

func TestSweepNumbers(t *testing.T) {
	rep := sweepReport(t)
	var b bytes.Buffer
	if err := page.Sweep(&b, rep); err != nil {
		t.Fatal(err)
	}
	want, links := map[string]float64{"total-points": float64(rep.TotalPoints)}, 0
	for _, p := range rep.Points {
		for _, r := range p.Results {
			if !r.OK {
				continue
			}
			id := "point-" + strconv.Itoa(r.Workload) + "-" + strconv.Itoa(p.Index)
			want[id+"-energy-pj"], want[id+"-latency-seconds"], want[id+"-area-um2"] = r.EnergyPJ, r.LatencySeconds, p.AreaUM2
			// Its dot links to its row.
			if !bytes.Contains(b.Bytes(), []byte(`<a href="#`+id+`">`)) || !bytes.Contains(b.Bytes(), []byte(`<tr id="`+id+`"`)) {
				t.Errorf("no link from a dot to row %s", id)
			}
			links++
		}
	}
	if links < 2 {
		t.Fatalf("the sweep ran %d points: too few to test", links)
	}
	checkValues(t, values(t, b.Bytes()), want)
	for _, f := range rep.Pareto.Fronts {
		for _, id := range f.Points {
			if !bytes.Contains(b.Bytes(), []byte(`class="front"><td class="name">`+id+`<`)) {
				t.Errorf("front point %s not marked", id)
			}
		}
	}
}

func TestAdaptNumbers(t *testing.T) {
	rep := adaptReport(t)
	var b bytes.Buffer
	if err := page.Adapt(&b, rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"initial-resource": rep.InitialResource, "final-resource": rep.FinalResource,
		"final-accuracy": rep.FinalAccuracy, "budget-resource": rep.BudgetResource}
	for i, it := range rep.Iterations {
		p := "iteration-" + strconv.Itoa(i)
		want[p+"-resource"], want[p+"-accuracy"], want[p+"-resource-ratio"] = it.Resource, it.Accuracy, it.ResourceRatio
	}
	for i, pr := range rep.Proposals {
		want["proposal-"+strconv.Itoa(i)+"-accuracy"] = pr.Accuracy
	}
	checkValues(t, values(t, b.Bytes()), want)
}

func TestPruneNumbers(t *testing.T) {
	rep := pruneReport(t)
	var b bytes.Buffer
	if err := page.Prune(&b, rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	got := values(t, b.Bytes())
	for r, run := range rep.Runs {
		for i, s := range run.Steps {
			p := "step-" + strconv.Itoa(r) + "-" + strconv.Itoa(i)
			want[p+"-sparsity"], want[p+"-energy-pj"] = s.Sparsity, s.EnergyPJ
			if s.Accuracy != nil {
				want[p+"-accuracy"] = *s.Accuracy
			} else if _, ok := got[p+"-accuracy"]; ok {
				t.Errorf("%s shows an accuracy the report does not have", p)
			}
		}
	}
	if len(want) < 10 {
		t.Fatalf("%d figures: too few to test", len(want))
	}
	checkValues(t, got, want)
}

func TestWrongKind(t *testing.T) {
	var b bytes.Buffer
	for name, err := range map[string]error{
		"eval":  page.Eval(&b, &report.Eval{}),
		"sweep": page.Sweep(&b, nil),
		"adapt": page.Adapt(&b, &report.Adapt{}),
		"prune": page.Prune(&b, nil),
	} {
		if err == nil {
			t.Errorf("%s: no error for a report of the wrong kind", name)
		}
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes for bad reports", b.Len())
	}
}

// record is a run record of a fixed date holding rep as its report.
func record(t testing.TB, id int64, kind string, rep any) report.RunRecord {
	t.Helper()
	r := report.RunRecord{ID: id, RunKind: kind, Created: "2026-12-07T19:00:0" + strconv.FormatInt(id%10, 10) + "Z", NnergyVersion: "test",
		Command: []string{"nnergy", kind, "--model", "lenet5"}, Status: "done", Arch: "name: eyeriss\n", Workload: "lenet5", Settings: []byte("{}")}
	if rep != nil {
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		r.Report = b
	}
	return r
}

func ptr(v float64) *float64 { return &v }

// uiPages renders the web UI's pages the tests hold to golden files.
func uiPages(t *testing.T) map[string][]byte {
	t.Helper()
	ev, sw, ad := evalReport(t), sweepReport(t), adaptReport(t)
	evRec, swRec, adRec := record(t, 1, "eval", ev), record(t, 2, "sweep", sw), record(t, 3, "adapt", ad)
	running := record(t, 4, "eval", nil)
	running.Status = "running"
	failed := record(t, 5, "eval", nil)
	failed.Status, failed.Error, failed.Workload = "failed", "eval: <bad> & worse", `<script>x</script>`
	other := evRec
	other.ID, other.Report = 6, nil
	front := sw.Pareto.Fronts[0].Points[0]
	var figs []report.DiffFigure
	figs = append(figs, report.DiffFigure{Name: "total", A: report.DiffValues{EnergyPJ: ptr(ev.Total.EnergyPJ), LatencySeconds: ptr(ev.Total.LatencySeconds)},
		B: report.DiffValues{EnergyPJ: ptr(ev.Total.EnergyPJ * 1.5), LatencySeconds: ptr(ev.Total.LatencySeconds / 2)}})
	for _, l := range ev.Layers {
		figs = append(figs, report.DiffFigure{Name: l.Name, A: report.DiffValues{EnergyPJ: ptr(l.EnergyPJ), LatencySeconds: ptr(l.LatencySeconds)},
			B: report.DiffValues{EnergyPJ: ptr(l.EnergyPJ * 1.5)}})
	}
	b := "eyeriss-v2"
	diff := report.NewDiff(1, 6, figs, []report.DiffSetting{{Name: "arch", A: ptr2("eyeriss"), B: &b}}, nil)
	out := map[string][]byte{}
	for name, render := range map[string]func(*bytes.Buffer) error{
		"ui_runs.html": func(b *bytes.Buffer) error {
			return page.Runs(b, page.RunsPage{Kind: "eval", Sort: "energy", Models: []string{"lenet5", failed.Workload}, Archs: []string{"eyeriss"}, Kinds: []string{"adapt", "eval", "sweep"},
				Rows: []page.RunRow{{Run: evRec, Arch: "eyeriss", EnergyPJ: ptr(ev.Total.EnergyPJ), LatencySeconds: ptr(ev.Total.LatencySeconds)}, {Run: failed, Arch: "eyeriss"}}})
		},
		"ui_eval_run.html": func(b *bytes.Buffer) error {
			return page.Run(b, page.RunPage{Run: evRec, Others: []report.RunRecord{other}})
		},
		"ui_sweep_run.html": func(b *bytes.Buffer) error {
			return page.Run(b, page.RunPage{Run: swRec, X: "area", Shards: []page.Shard{{Run: 2, Shard: "all", Status: "done", Done: 9, Total: 9}}})
		},
		"ui_adapt_run.html": func(b *bytes.Buffer) error { return page.Run(b, page.RunPage{Run: adRec}) },
		"ui_running.html":   func(b *bytes.Buffer) error { return page.Run(b, page.RunPage{Run: running, Live: true}) },
		"ui_failed.html":    func(b *bytes.Buffer) error { return page.Run(b, page.RunPage{Run: failed}) },
		"ui_point.html": func(b *bytes.Buffer) error {
			return page.Point(b, page.PointPage{Run: swRec, Sweep: sw, Point: front, ArchYAML: "name: eyeriss\n# a <point>\n"})
		},
		"ui_compare.html": func(b *bytes.Buffer) error {
			return page.Compare(b, page.ComparePage{A: evRec, B: other, Diff: diff, ArchA: "eyeriss (abc)", ArchB: "eyeriss-v2 (def)"})
		},
		"ui_new.html": func(b *bytes.Buffer) error {
			return page.NewEval(b, page.NewEvalPage{Presets: []string{"eyeriss", "simba"}, Models: []string{"alexnet", "lenet5"}, Dataflows: []string{"ws", "rs"},
				Arch: "eyeriss", Model: "lenet5", Dataflow: "rs", Error: "arch_yaml:1:1: <oops>"})
		},
		"ui_error.html": func(b *bytes.Buffer) error { return page.Error(b, 404, `server: no run "<7>"`) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b.Bytes()
	}
	return out
}

func ptr2(s string) *string { return &s }

func TestUIGolden(t *testing.T) {
	for name, b := range uiPages(t) {
		golden.Check(t, filepath.Join("testdata", name), b)
		// Every page of the UI has the nav bar and the script, and names
		// from the store are escaped.
		for _, w := range []string{`<nav id="nav">`, `<script src="/ui.js" defer></script>`} {
			if !bytes.Contains(b, []byte(w)) {
				t.Errorf("%s: no %s", name, w)
			}
		}
		if bytes.Contains(b, []byte("<script>x")) || bytes.Contains(b, []byte("<bad>")) || bytes.Contains(b, []byte("<point>")) || bytes.Contains(b, []byte("<oops>")) || bytes.Contains(b, []byte("<7>")) {
			t.Errorf("%s: a name is not escaped", name)
		}
	}
}

// The standalone pages stay without the UI's nav bar and script.
func TestStandaloneHasNoUI(t *testing.T) {
	for name, b := range pages(t) {
		for _, w := range []string{`<nav`, `/ui.js`, `/runs/`, `data-job`} {
			if bytes.Contains(b, []byte(w)) {
				t.Errorf("%s has %s", name, w)
			}
		}
	}
}

func TestUIValues(t *testing.T) {
	ev, sw := evalReport(t), sweepReport(t)
	var b bytes.Buffer
	if err := page.Run(&b, page.RunPage{Run: record(t, 1, "eval", ev)}); err != nil {
		t.Fatal(err)
	}
	got := values(t, b.Bytes())
	checkValues(t, got, map[string]float64{"total-energy-pj": ev.Total.EnergyPJ, "layer-0-cycles": float64(ev.Layers[0].Cycles)})
	// The sweep's dots carry every figure for the script and link to
	// their designs.
	b.Reset()
	if err := page.Run(&b, page.RunPage{Run: record(t, 2, "sweep", sw), X: "edp", Y: "power"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range sw.Points {
		for _, r := range p.Results {
			if !r.OK {
				continue
			}
			dot := regexp.MustCompile(`<a href="/runs/2/points/` + p.ID + `"><circle id="dot-` + strconv.Itoa(r.Workload) + `-` + strconv.Itoa(p.Index) + `" class="dot" data-point="` + p.ID + `" data-params="[^"]*" data-front="(true|false)" data-energy="([^"]+)" data-latency="([^"]+)" data-edp="([^"]+)" data-power="([^"]+)" data-area="([^"]+)"`)
			m := dot.FindSubmatch(b.Bytes())
			if m == nil {
				t.Errorf("point %s: no dot linking to its design with its figures", p.ID)
				continue
			}
			for i, w := range []float64{r.EnergyPJ, r.LatencySeconds, r.EDPJouleSeconds, r.PowerWatts, p.AreaUM2} {
				if v, err := strconv.ParseFloat(html.UnescapeString(string(m[i+2])), 64); err != nil || v != w {
					t.Errorf("point %s: figure %d is %s, report %v", p.ID, i, m[i+2], w)
				}
			}
		}
	}
	if !bytes.Contains(b.Bytes(), []byte(`>edp (J·s, log)</text>`)) || !bytes.Contains(b.Bytes(), []byte(`>power (W, log)</text>`)) {
		t.Error("the sweep's axes are not edp and power")
	}
	if err := page.Run(&b, page.RunPage{Run: record(t, 2, "sweep", sw), X: "colour"}); err == nil {
		t.Error("an unknown axis: no error")
	}
	if err := page.Point(&b, page.PointPage{Run: record(t, 2, "sweep", sw), Sweep: sw, Point: "nope"}); err == nil {
		t.Error("an unknown point: no error")
	}
}

func TestRunWithoutPage(t *testing.T) {
	for name, c := range map[string]struct {
		rep  string
		note string
	}{
		"unreadable": {`{"version": "nnergy.report/v9", "kind": "eval"}`, "cannot read the report"},
		"no page":    {`{"version": "nnergy.report/v2", "kind": "runs", "runs": []}`, "has no page for a runs report"},
	} {
		rec := record(t, 9, "runs", nil)
		rec.Report = []byte(c.rep)
		var b bytes.Buffer
		if err := page.Run(&b, page.RunPage{Run: rec}); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Contains(b.Bytes(), []byte(c.note)) || !bytes.Contains(b.Bytes(), []byte(`<pre id="report-json">`)) {
			t.Errorf("%s: the page does not show the report as JSON with %q", name, c.note)
		}
	}
}
