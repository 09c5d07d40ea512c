package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/sweep"
)

type sweepFlags struct {
	pareto, format, plot, shard, printArch, report string
	workers, shards                                int
	list, collect                                  bool
	progress                                       progressMode
	k8s                                            k8sFlags
}

func (e *env) sweepCmd() *cobra.Command {
	var f sweepFlags
	c := &cobra.Command{
		Use:   "sweep FILE",
		Short: "Evaluate a design space: architecture parameters x networks x mapper settings, with Pareto fronts",
		Long: `Expand the sweep file FILE (docs/format/sweep.md) into its design points, in
a fixed order, and evaluate every network at every batch on each point: one
search (or build) per unique layer shape and density on a point, points on
a pool of --workers goroutines. Each point's architecture is the base
architecture's file with the point's values set, so the architecture's
own validation applies: an invalid point, and a network a point cannot
run, are reported with the reason.

--pareto energy,latency (any two or three of energy, latency, edp, area,
power) adds the
Pareto front of every network and batch: the table then lists the front,
JSON and CSV mark it. --plot draws the first two objectives (energy and
latency by default) as a scatter with the front joined and each front
point labelled with the parameters that differ between the points.

--shard i/N evaluates part i (from 0) of N: a seeded shuffle of the points
split into N nearly equal parts, whose union is the sweep. Without --shard,
--shards N takes the index from JOB_COMPLETION_INDEX (Kubernetes Indexed
Jobs) or SLURM_ARRAY_TASK_ID (a Slurm array run as 0-(N-1)).
--list prints the points without evaluating them; --print-arch ID prints
one point's architecture file.

With a results store (--store, NNERGY_STORE or the default SQLite file;
--store none turns it off) the sweep is a run of kind sweep, and its points
and layer searches are kept under the key of its expansion: a sweep
interrupted (Ctrl-C, SIGKILL) resumes where it stopped, a shard run again
changes nothing it had finished, and a later sweep reuses the layer
searches of earlier ones. --collect evaluates nothing: it reads the
points (of --shard, or all) from the store, reports them as a sweep would,
and fails naming the points missing (and their shards, with --shards N).

--emit-k8s-job writes a Kubernetes Indexed Job that runs the sweep's shards
against the PostgreSQL store of a secret (docs/scale-out.md).`,
		Example: `  nnergy sweep examples/sweeps/isca16.yaml
  nnergy sweep examples/sweeps/glb-rf.yaml --pareto energy,latency --plot front.svg
  nnergy sweep examples/sweeps/eyeriss-v2-pes.yaml --format csv --workers 2
  nnergy sweep examples/sweeps/glb-rf.yaml --shard 3/10 --format json
  nnergy sweep examples/sweeps/glb-rf.yaml --collect --shards 10 --pareto energy,latency
  nnergy sweep examples/sweeps/glb-rf.yaml --emit-k8s-job --parallelism 4 --image ghcr.io/nnergy/nnergy:latest`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.sweep(cmd, args[0], &f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.pareto, "pareto", "", "Pareto front of every network and batch over two or three of energy, latency, edp, area, power, comma-separated")
	fl.StringVar(&f.format, "format", formatTable, "output format: table, json or csv")
	fl.StringVar(&f.plot, "plot", "", "write a scatter of the first two --pareto objectives (default energy,latency) with the front to this SVG or PNG file")
	registerReportFlag(fl, &f.report)
	fl.IntVar(&f.workers, "workers", 0, "points evaluated at once (0: all cores); each point's searches use the sweep file's mapper workers")
	fl.StringVar(&f.shard, "shard", "", "evaluate part i (from 0) of N of the points, i/N")
	fl.IntVar(&f.shards, "shards", 0, "number of shards when JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID gives the index")
	fl.BoolVar(&f.list, "list", false, "list the points (of the shard) without evaluating them")
	fl.StringVar(&f.printArch, "print-arch", "", "print the architecture file of the point with this ID and exit")
	registerProgress(fl, &f.progress, true)
	fl.BoolVar(&f.collect, "collect", false, "evaluate nothing: report the points the results store holds, and fail naming those missing")
	k8sFlagsOn(fl, &f.k8s)
	return c
}

func (e *env) sweep(cmd *cobra.Command, file string, f *sweepFlags) (err error) {
	if err := checkFormat("sweep", f.format); err != nil {
		return err
	}
	if f.workers < 0 {
		return usagef("sweep: --workers must not be negative, got %d", f.workers)
	}
	var objs []sweep.Objective
	if f.pareto != "" || f.plot != "" {
		text := f.pareto
		if text == "" {
			text = "energy,latency"
		}
		var err error
		if objs, err = sweep.ParseObjectives(text); err != nil {
			return usagef("sweep: --pareto: %s", strings.TrimPrefix(err.Error(), "sweep: "))
		}
	}
	if err := e.checkOut("sweep", "--plot", f.plot, plotExts...); err != nil {
		return err
	}
	if err := e.checkOut("sweep", "--report", f.report, reportExts...); err != nil {
		return err
	}
	if err := checkK8sFlags(cmd, f); err != nil {
		return err
	}
	var shard sweep.Shard
	if f.collect || f.k8s.emit {
		shard, err = collectShard(f)
	} else {
		shard, err = sweepShard(f)
	}
	if err != nil {
		return err
	}
	s, err := sweep.Load(file)
	if err != nil {
		return err
	}
	if f.k8s.emit {
		return e.emitK8sJob(s, &f.k8s)
	}
	if f.printArch != "" {
		p := s.Point(f.printArch)
		if p == nil {
			return usagef("sweep: --print-arch: no point %q in %s (nnergy sweep %s --list lists them)", f.printArch, file, file)
		}
		d, reason := s.Design(p)
		if reason != "" {
			return fmt.Errorf("sweep: point %s (%s) is invalid: %s", p.ID, s.Label(p), reason)
		}
		fmt.Fprintf(e.stdout, "# point %s of sweep %s: %s\n", p.ID, s.Name, s.Label(p))
		_, err := e.stdout.Write(d.YAML)
		return err
	}
	if f.list {
		return writeSweepList(e.stdout, s, shard)
	}
	o := sweep.Options{Workers: f.workers, Shard: shard, StoredOnly: f.collect}
	if _, on := e.storeDSN(); !on && f.collect {
		return usagef("sweep: --collect reads the points from the results store, and --store none names none")
	}
	rec, err := e.begin(cmd, store.KindSweep, runInputs{arch: archYAML(s.Arch), workload: s.Models(), digest: s.RunKey()})
	if err != nil {
		return err
	}
	var kept string // the store that keeps the points evaluated
	defer func() {
		err = rec.end(cmd.Context(), err)
		if err != nil && cmd.Context().Err() != nil && kept != "" {
			fmt.Fprintf(e.stderr, "nnergy sweep: interrupted; the points evaluated are kept in %s: the same command continues from them\n", kept)
		}
	}()
	if rec != nil {
		o.Store = rec.st.Sweep()
		kept = rec.st.Location()
	}
	res, err := e.runSweep(cmd.Context(), s, o, f.progress, "sweep")
	if err != nil {
		return err
	}
	rep, err := report.NewSweep(res, objs)
	if err != nil {
		return err
	}
	rec.setReport(rep)
	if err := writeReportPage("sweep", f.report, func(w io.Writer) error { return page.Sweep(w, rep) }); err != nil {
		return err
	}
	if f.plot != "" {
		if err := writePlot(f.plot, sweepChart(rep)); err != nil {
			return err
		}
	}
	switch f.format {
	case formatJSON:
		err = writeJSON(e.stdout, rep)
	case formatCSV:
		err = writeSweepCSV(e.stdout, rep)
	default:
		err = writeSweepTable(e.stdout, rep)
	}
	if err != nil || len(res.Missing) == 0 {
		return err
	}
	return missingError(s, res, f.shards)
}

// sweepShard reads --shard, or --shards with the index from the
// environment.
func sweepShard(f *sweepFlags) (sweep.Shard, error) {
	if f.shards < 0 {
		return sweep.Shard{}, usagef("sweep: --shards must not be negative, got %d", f.shards)
	}
	if f.shard != "" {
		if f.shards > 0 {
			return sweep.Shard{}, usagef("sweep: give --shard i/N or --shards N (with the index from the environment), not both")
		}
		s, err := sweep.ParseShard(f.shard)
		if err != nil {
			return sweep.Shard{}, usagef("sweep: --shard: %s", strings.TrimPrefix(err.Error(), "sweep: "))
		}
		return s, nil
	}
	s, from, ok, err := sweep.ShardFromEnv(os.LookupEnv, f.shards)
	switch {
	case err != nil && f.shards == 0:
		return sweep.Shard{}, usagef("sweep: %s is set: give --shards N, the number of shards", from)
	case err != nil:
		return sweep.Shard{}, usagef("sweep: %s", strings.TrimPrefix(err.Error(), "sweep: "))
	case !ok && f.shards > 0:
		return sweep.Shard{}, usagef("sweep: --shards %d needs the shard index in %s", f.shards, strings.Join(sweep.IndexVars, " or "))
	}
	return s, nil
}

// varying returns the indices of the values (parameters, then derived)
// that differ between the points, and the text "name=value ..." of those
// that do not.
func varying(rep *report.Sweep, points []*report.SweepPoint) (idx []int, fixed string) {
	n := len(rep.Parameters) + len(rep.Derived)
	var same []string
	for k := range n {
		first, differ, seen := "", false, false
		name := ""
		for _, p := range points {
			if k >= len(p.Values) {
				continue
			}
			name = p.Values[k].Name
			if !seen {
				first, seen = p.Values[k].Value, true
			} else if p.Values[k].Value != first {
				differ = true
			}
		}
		switch {
		case differ:
			idx = append(idx, k)
		case seen:
			same = append(same, name+"="+first)
		}
	}
	return idx, strings.Join(same, " ")
}

func sweepPoints(rep *report.Sweep) []*report.SweepPoint {
	ps := make([]*report.SweepPoint, len(rep.Points))
	for i := range rep.Points {
		ps[i] = &rep.Points[i]
	}
	return ps
}

func sweepHeader(w io.Writer, rep *report.Sweep) {
	fmt.Fprintf(w, "sweep %s: %s", rep.Name, plural(rep.TotalPoints, "point"))
	if rep.Excluded > 0 {
		fmt.Fprintf(w, " (%d combinations, %d left out by the constraints)", rep.Combinations, rep.Excluded)
	}
	fmt.Fprintf(w, " on %s (%s)", rep.Arch, rep.ArchSource)
	if rep.Shard.Count > 1 {
		fmt.Fprintf(w, "; shard %d/%d: %d points", rep.Shard.Index, rep.Shard.Count, len(rep.Points))
	}
	fmt.Fprintln(w)
	writeStoreLine(w, rep)
	if rep.AreaBudgetUM2 > 0 {
		fmt.Fprintf(w, "area budget %s mm2", g4(rep.AreaBudgetUM2/1e6))
		if rep.AreaFill != "" {
			fmt.Fprintf(w, "; %s fills what the rest leaves, in steps of %d words", rep.AreaFill, rep.AreaFillStepWords)
		} else {
			fmt.Fprint(w, "; points over it are marked over")
		}
		fmt.Fprintln(w)
	}
	// Settings that a parameter varies are the point's.
	m := rep.Mapper
	vary := map[string]string{}
	for _, p := range rep.Parameters {
		if k, ok := strings.CutPrefix(p.Key, "mapper."); ok {
			vary[k] = p.Name
		}
	}
	setting := func(key, value string) string {
		if name, ok := vary[key]; ok {
			return "by " + name
		}
		return value
	}
	_, methodVaries := vary["method"]
	fmt.Fprintf(w, "mapping: %s, dataflow %s", setting("method", m.Method), setting("dataflow", m.Dataflow))
	if m.Method == "search" || methodVaries {
		fmt.Fprintf(w, "; searches: objective %s, %s evaluations per layer shape, seed %d, %s per search",
			setting("objective", strings.Join(m.Objective, ",")), setting("max_evaluations", i64(m.MaxEvaluations)),
			m.Seed, plural(m.Workers, "worker"))
	}
	fmt.Fprintln(w)
}

func writeSweepTable(w io.Writer, rep *report.Sweep) error {
	sweepHeader(w, rep)
	all := sweepPoints(rep)
	cols, fixed := varying(rep, all)
	if fixed != "" {
		fmt.Fprintf(w, "the same at every point: %s\n", fixed)
	}
	var invalid []*report.SweepPoint
	for _, p := range all {
		if !p.Valid {
			invalid = append(invalid, p)
		}
	}
	for wi, wl := range rep.Workloads {
		rows := all
		title := fmt.Sprintf("\n%s, %s: %s MACs\n", wl.Network, batchText(wl.Batch, wl.BatchUnknown), siCount(wl.MACs))
		var onFront []*report.SweepPoint
		if rep.Pareto != nil {
			byID := map[string]*report.SweepPoint{}
			for _, p := range all {
				byID[p.ID] = p
			}
			for _, id := range rep.Pareto.Fronts[wi].Points {
				onFront = append(onFront, byID[id])
			}
			rows = onFront
			title = fmt.Sprintf("\n%s, %s: %s MACs; Pareto front over %s: %d of %d points\n", wl.Network, batchText(wl.Batch, wl.BatchUnknown),
				siCount(wl.MACs), strings.Join(rep.Pareto.Objectives, ", "), len(onFront), len(all))
		}
		fmt.Fprint(w, title)
		t := textTable{left: map[int]bool{0: true}}
		t.header = []string{"id"}
		for _, k := range cols {
			t.header = append(t.header, valueName(rep, k))
			t.left[len(t.header)-1] = true
		}
		if rep.AreaFill != "" {
			t.header = append(t.header, rep.AreaFill+" words")
		}
		t.header = append(t.header, "energy uJ", "pJ/MAC", "latency ms", "EDP J*s", "util", "area mm2", "power mW", "note")
		t.left[len(t.header)-1] = true
		for _, p := range rows {
			if !p.Valid {
				continue
			}
			row := []string{p.ID}
			for _, k := range cols {
				row = append(row, valueAt(p, k))
			}
			if rep.AreaFill != "" {
				row = append(row, i64(p.FillWords))
			}
			r := p.Results[wi]
			if !r.OK {
				row = append(row, "-", "-", "-", "-", "-", pointAreaText(p), "-", r.Reason)
			} else {
				row = append(row, fmtF(r.EnergyPJ/1e6, 2), fmtF(r.EnergyPJPerMAC, 3), fmtF(r.LatencySeconds*1e3, 3),
					strconv.FormatFloat(r.EDPJouleSeconds, 'g', 4, 64), fmtF(100*r.Utilization, 1)+"%", pointAreaText(p), fmtF(r.PowerWatts*1e3, 1), "")
			}
			t.rows = append(t.rows, row)
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	if len(invalid) > 0 {
		fmt.Fprintf(w, "\n%d invalid points:\n", len(invalid))
		for _, p := range invalid {
			fmt.Fprintf(w, "%s  %s: %s\n", p.ID, pointLabel(p, len(rep.Parameters)), p.Reason)
		}
	}
	return nil
}

// pointAreaText is a point's area in mm², marked "over" when it is over the
// sweep's area budget.
func pointAreaText(p *report.SweepPoint) string {
	t := strconv.FormatFloat(p.AreaUM2/1e6, 'g', 4, 64)
	if p.OverAreaBudget {
		t += " over"
	}
	return t
}

// g4 writes v with 4 significant digits.
func g4(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// valueName is the name of value k of a point (parameters, then derived).
func valueName(rep *report.Sweep, k int) string {
	if k < len(rep.Parameters) {
		return rep.Parameters[k].Name
	}
	return rep.Derived[k-len(rep.Parameters)].Name
}

func valueAt(p *report.SweepPoint, k int) string {
	if k < len(p.Values) {
		return p.Values[k].Value
	}
	return "-"
}

// pointLabel writes the parameters of p as name=value.
func pointLabel(p *report.SweepPoint, params int) string {
	var parts []string
	for _, v := range p.Values[:min(params, len(p.Values))] {
		parts = append(parts, v.Name+"="+v.Value)
	}
	return strings.Join(parts, " ")
}

func writeSweepList(w io.Writer, s *sweep.Sweep, shard sweep.Shard) error {
	idx := shard.Indices(len(s.Points), s.ShardSeed)
	fmt.Fprintf(w, "sweep %s: %s", s.Name, plural(len(s.Points), "point"))
	if s.Excluded > 0 {
		fmt.Fprintf(w, " (%d combinations, %d left out by the constraints)", s.Combinations, s.Excluded)
	}
	if !shard.Whole() {
		fmt.Fprintf(w, "; shard %s: %d points", shard, len(idx))
	}
	fmt.Fprintf(w, "; each runs %s\n", plural(len(s.Workloads), "workload"))
	t := textTable{left: map[int]bool{1: true}}
	t.header = append([]string{"index", "id"}, s.Names()...)
	t.header = append(t.header, "MAC units", "architecture")
	for k := range s.Names() {
		t.left[2+k] = true
	}
	t.left[len(t.header)-1] = true
	for _, i := range idx {
		p := &s.Points[i]
		row := []string{itoa(p.Index), p.ID}
		for k := range s.Names() {
			if k < len(p.Values) {
				row = append(row, p.Values[k].Text)
			} else {
				row = append(row, "-")
			}
		}
		d, reason := s.Design(p)
		if reason != "" {
			row = append(row, "-", "invalid: "+reason)
		} else {
			row = append(row, itoa(d.Arch.MACUnits()), "valid")
		}
		t.rows = append(t.rows, row)
	}
	return t.write(w)
}

// plural writes n things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// sweepCSVHeader is the columns of sweep --format csv around the values'.
var sweepCSVHeader = [2][]string{{"id", "index"}, {"model", "batch", "status", "macs", "energy_pj", "energy_pj_per_mac", "cycles",
	"latency_seconds", "edp_joule_seconds", "utilization", "area_mm2", "power_watts", "over_area_budget", "pareto", "reason"}}

func writeSweepCSV(w io.Writer, rep *report.Sweep) error {
	cw := csv.NewWriter(w)
	head := append([]string{}, sweepCSVHeader[0]...)
	for k := range len(rep.Parameters) + len(rep.Derived) {
		head = append(head, valueName(rep, k))
	}
	cw.Write(append(head, sweepCSVHeader[1]...))
	front := map[[2]string]bool{}
	if rep.Pareto != nil {
		for _, f := range rep.Pareto.Fronts {
			for _, id := range f.Points {
				front[[2]string{strconv.Itoa(f.Workload), id}] = true
			}
		}
	}
	for i := range rep.Points {
		p := &rep.Points[i]
		for wi, wl := range rep.Workloads {
			row := []string{p.ID, itoa(p.Index)}
			for k := range len(rep.Parameters) + len(rep.Derived) {
				v := ""
				if k < len(p.Values) {
					v = p.Values[k].Value
				}
				row = append(row, v)
			}
			row = append(row, wl.Model, itoa(wl.Batch))
			pareto := ""
			if rep.Pareto != nil {
				pareto = strconv.FormatBool(front[[2]string{strconv.Itoa(wi), p.ID}])
			}
			switch {
			case !p.Valid:
				row = append(row, "invalid", "", "", "", "", "", "", "", "", "", "", pareto, p.Reason)
			case !p.Results[wi].OK:
				row = append(row, "failed", "", "", "", "", "", "", "", g4(p.AreaUM2/1e6), "", strconv.FormatBool(p.OverAreaBudget), pareto, p.Results[wi].Reason)
			default:
				r := p.Results[wi]
				row = append(row, "ok", i64(r.MACs), fmtF(r.EnergyPJ, 1), fmtF(r.EnergyPJPerMAC, 4), i64(r.Cycles),
					strconv.FormatFloat(r.LatencySeconds, 'g', 6, 64), strconv.FormatFloat(r.EDPJouleSeconds, 'g', 6, 64),
					fmtF(r.Utilization, 4), g4(p.AreaUM2/1e6), g4(r.PowerWatts), strconv.FormatBool(p.OverAreaBudget), pareto, "")
			}
			cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}

// runSweep runs s, showing its progress as mode says; what names the
// command in the progress line.
func (e *env) runSweep(ctx context.Context, s *sweep.Sweep, o sweep.Options, mode progressMode, what string) (*sweep.Result, error) {
	progress := mode.on(e.stderr)
	if progress {
		o.Progress = func(done, total int, _ *sweep.PointResult) {
			fmt.Fprintf(e.stderr, "\r\033[K%s %s: %d of %d points", what, s.Name, done, total)
		}
	}
	res, err := s.Run(ctx, o)
	if progress {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	return res, err
}
