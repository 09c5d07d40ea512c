package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/workload"
)

type compareFlags struct {
	model, layers, format, chart, printArch string
	dataflows                               []string
	pes                                     int
	mf                                      modelFlags
	rfArea                                  float64
	search                                  searchFlags
}

func (e *env) compareCmd() *cobra.Command {
	var f compareFlags
	c := &cobra.Command{
		Use:   "compare",
		Short: "Compare dataflows on equal-area accelerators (the Eyeriss ISCA 2016 analysis)",
		Long: `Compare dataflows the way Chen, Emer and Sze do in the Eyeriss ISCA 2016
paper: every dataflow gets an accelerator with the same PEs and the same
storage area (by default 256 PEs, the area of a 512 B RF per PE plus a
128 kB global buffer), split between RFs and global buffer as the dataflow
needs; every layer is searched by the mapper within the dataflow's
constraints on its own accelerator; and the energy per MAC, in units of
one MAC's energy, is broken down by level (DRAM, buffer, array network,
RF, ALU) and by data type (weights, inputs, psums).

--layer conv reports the CONV layers (conv, depthwise and pointwise
kinds), fc the FC layers (fc, gemm and matmul kinds), all both groups one
after the other, and a comma-separated list of layer names one group of
those layers.
--print-arch DF prints the accelerator of one dataflow as YAML and exits.
--plot writes the comparison as stacked bars in an SVG or PNG file.

The area model: one RF byte takes --rf-area GLB bytes of area (1.6, the
value the paper's "GLB size differs by up to 2.6x" implies); RS keeps a
512 B RF, WS one weight register, OS one psum register, IS one input
register and NLR none, and the rest of the area is global buffer. See
explore/isca16.go.`,
		Example: `  nnergy compare --model alexnet --dataflow rs,ws,os,nlr --plot compare.svg
  nnergy compare --model alexnet --layer fc --batch 32 --format csv
  nnergy compare --print-arch ws --pes 168`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.compare(cmd, &f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "alexnet", "network: zoo name, workload YAML or ONNX file")
	fl.StringSliceVar(&f.dataflows, "dataflow", []string{"rs", "ws", "os", "nlr"}, "dataflows to compare (ws, os, is, rs, nlr), comma-separated")
	deprecatedAlias(fl, "dataflows", "dataflow")
	fl.IntVar(&f.pes, "pes", explore.ISCA16PEs, "number of PEs (an X x Y array at most 4:1)")
	fl.Float64Var(&f.rfArea, "rf-area", explore.ISCA16RFArea, "area of one RF byte in GLB bytes")
	f.mf.register(fl, 16)
	fl.StringVar(&f.layers, "layer", "all", "layers: conv, fc, all (both, reported apart) or comma-separated layer names")
	deprecatedAlias(fl, "layers", "layer")
	fl.StringVar(&f.format, "format", formatTable, "output format: table, json or csv")
	fl.StringVar(&f.chart, "plot", "", "write a stacked-bar chart of the comparison to this SVG or PNG file (by the extension)")
	deprecatedAlias(fl, "chart", "plot")
	fl.StringVar(&f.printArch, "print-arch", "", "print the equal-area architecture of this dataflow as YAML and exit")
	f.search.register(fl)
	return c
}

func (e *env) compare(cmd *cobra.Command, f *compareFlags) (err error) {
	if err := checkFormat("compare", f.format); err != nil {
		return err
	}
	if f.mf.batch < 1 {
		return usagef("compare: --batch must be at least 1, got %d", f.mf.batch)
	}
	if !(f.rfArea > 0) {
		return usagef("compare: --rf-area must be positive, got %g", f.rfArea)
	}
	if _, _, err := explore.Mesh(f.pes); err != nil {
		return usagef("compare: --pes: %s", strings.TrimPrefix(err.Error(), "explore: "))
	}
	if err := e.checkOut("compare", "--plot", f.chart, plotExts...); err != nil {
		return err
	}
	area := explore.EqualArea{PEs: f.pes, RFArea: f.rfArea}
	if f.printArch != "" {
		df, err := dataflow.ParseDataflow(f.printArch)
		if err != nil {
			return usagef("compare: --print-arch: %s", strings.TrimPrefix(err.Error(), "dataflow: "))
		}
		spec, st, err := area.Spec(df)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "# nnergy compare --print-arch %s --pes %d --rf-area %g\n", df, f.pes, f.rfArea)
		fmt.Fprintf(e.stdout, "# Equal storage area: %d x 512 B RF + %s GLB = %s of GLB area (one RF byte = %g GLB bytes).\n",
			f.pes, bytesText(int64(f.pes)*512), bytesText(int64(st.AreaGLBBytes)), f.rfArea)
		fmt.Fprintf(e.stdout, "# %s: %s; the rest is GLB. See explore/isca16.go.\n", strings.ToUpper(df.String()), rfNote[df])
		_, err = e.stdout.Write(arch.Format(spec))
		return err
	}
	dfs, err := parseDataflowList(f.dataflows)
	if err != nil {
		return err
	}
	set, err := f.search.settings("compare", e.stderr)
	if err != nil {
		return err
	}
	net, err := f.mf.load("compare", f.model)
	if err != nil {
		return err
	}
	groups, sub, err := selectGroups(net, f.layers)
	if err != nil {
		return err
	}
	var onStats func(dataflow.Dataflow, *workload.Layer, mapper.Stats)
	if set.Progress != nil {
		// On a terminal, log each search as it ends above the progress line.
		onStats = func(df dataflow.Dataflow, l *workload.Layer, st mapper.Stats) {
			fmt.Fprintf(e.stderr, "\r\033[K%s %s: %v\n", df, l.Name, st)
		}
	}
	specs := make([]*arch.Spec, len(dfs))
	for i, df := range dfs {
		if specs[i], _, err = area.Spec(df); err != nil {
			return err
		}
	}
	rec, err := e.begin(cmd, store.KindCompare, runInputs{arch: archYAML(specs...), workload: f.model, digest: workload.Digest(sub.Layers)})
	if err != nil {
		return err
	}
	defer func() { err = rec.end(cmd.Context(), err) }()
	res, err := explore.Compare(cmd.Context(), sub, dfs, area, set, onStats)
	clearProgress(set, e.stderr)
	if err != nil {
		return err
	}
	rep, err := report.NewCompare(report.CompareSettings{Model: net.Name, Batch: net.Batch, BatchUnknown: net.BatchUnknown, Area: area, Search: set,
		DefaultWorkers: runtime.GOMAXPROCS(0)}, groups, res)
	if err != nil {
		return err
	}
	for _, c := range res {
		if c.Stopped != nil {
			// A signal keeps the best found so far, as in map.
			if rep.Partial == nil {
				rep.Partial = report.NewPartial(nil, "")
			}
			rep.Partial.Add(c.Stopped, c.Dataflow.String()+"/")
		}
	}
	rec.setReport(rep)
	if f.chart != "" {
		if err := writePlot(f.chart, compareChart(rep)); err != nil {
			return err
		}
	}
	switch f.format {
	case formatJSON:
		return writeJSON(e.stdout, rep)
	case formatCSV:
		return writeCompareCSV(e.stdout, rep)
	}
	return writeCompareTable(e.stdout, rep)
}

// rfNote says what each dataflow keeps in its RF.
var rfNote = map[dataflow.Dataflow]string{
	dataflow.RS:  "a 512 B RF per PE shared by weights, inputs and psums",
	dataflow.WS:  "one 16-bit weight register per PE (its PEs loop only over N, P, Q)",
	dataflow.OS:  "one 16-bit psum register per PE (its PEs loop only over C, R, S)",
	dataflow.IS:  "one 16-bit input register per PE (its PEs loop only over M)",
	dataflow.NLR: "no RF; the one-word RF level below is a placeholder the format needs, which NLR's constraints never use and which has no area",
}

// parseDataflowList reads --dataflow: known names, each once.
func parseDataflowList(names []string) ([]dataflow.Dataflow, error) {
	if len(names) == 0 {
		return nil, usagef("compare: --dataflow is empty (want some of ws, os, is, rs, nlr)")
	}
	var dfs []dataflow.Dataflow
	seen := map[dataflow.Dataflow]bool{}
	for _, n := range names {
		df, err := dataflow.ParseDataflow(strings.TrimSpace(n))
		if err != nil {
			return nil, usagef("compare: --dataflow: %s", strings.TrimPrefix(err.Error(), "dataflow: "))
		}
		if seen[df] {
			return nil, usagef("compare: --dataflow names %s twice", df)
		}
		seen[df] = true
		dfs = append(dfs, df)
	}
	return dfs, nil
}

func isFCKind(k workload.Kind) bool {
	return k == workload.FC || k == workload.GEMM || k == workload.MatMul
}

// selectGroups returns the groups --layer asks for and the network of
// their layers.
func selectGroups(net *workload.Network, spec string) ([]report.LayerGroup, *workload.Network, error) {
	var groups []report.LayerGroup
	conv, fc := report.LayerGroup{Kind: report.GroupConv}, report.LayerGroup{Kind: report.GroupFC}
	for _, l := range net.Layers {
		if isFCKind(l.Kind) {
			fc.Layers = append(fc.Layers, l)
		} else {
			conv.Layers = append(conv.Layers, l)
		}
	}
	switch spec {
	case "conv", "fc":
		g := conv
		if spec == "fc" {
			g = fc
		}
		if len(g.Layers) == 0 {
			return nil, nil, usagef("compare: --layer %s: %s has no %s layers", spec, net.Name, groupName(g.Kind))
		}
		groups = []report.LayerGroup{g}
	case "all":
		for _, g := range []report.LayerGroup{conv, fc} {
			if len(g.Layers) > 0 {
				groups = append(groups, g)
			}
		}
	default:
		g := report.LayerGroup{Kind: report.GroupLayers}
		seen := map[string]bool{}
		for _, name := range strings.Split(spec, ",") {
			name = strings.TrimSpace(name)
			if seen[name] {
				return nil, nil, usagef("compare: --layer names %s twice", name)
			}
			seen[name] = true
			l, err := net.Layer(name)
			if err != nil {
				return nil, nil, usagef("compare: --layer: %s", strings.TrimPrefix(err.Error(), "workload: "))
			}
			g.Layers = append(g.Layers, l)
		}
		groups = []report.LayerGroup{g}
	}
	sub := net.WithLayers(nil)
	for _, g := range groups {
		sub.Layers = append(sub.Layers, g.Layers...)
	}
	return groups, sub, nil
}

// groupName names a group for people: CONV, FC or layers.
func groupName(k report.GroupKind) string {
	switch k {
	case report.GroupConv, report.GroupFC:
		return strings.ToUpper(string(k))
	}
	return string(k)
}

// groupTitle names a group for people: "CONV layers (conv1 ... conv5)".
func groupTitle(g *report.Group) string {
	switch g.Name {
	case report.GroupConv, report.GroupFC:
		return fmt.Sprintf("%s layers (%s)", groupName(g.Name), strings.Join(g.Layers, ", "))
	}
	return "layers " + strings.Join(g.Layers, ", ")
}

func bytesText(b int64) string {
	switch {
	case b == 0:
		return "0"
	case b < 1024:
		return fmt.Sprintf("%d B", b)
	}
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", float64(b)/1024), "0"), ".0") + " kB"
}

func writeCompareTable(w io.Writer, rep *report.Compare) error {
	fmt.Fprintf(w, "%s at %s on %d PEs (%dx%d), each dataflow on its own equal-area accelerator, mapper objective %s\n",
		rep.Model, batchText(rep.Batch, rep.BatchUnknown), rep.PEs, rep.Mesh.X, rep.Mesh.Y, strings.Join(rep.Objective, ","))
	fmt.Fprintf(w, "storage area of each: %d x 512 B RF + %s GLB = %s of GLB area; one RF byte = %g GLB bytes of area\n\n",
		rep.PEs, bytesText(int64(rep.PEs)*512), bytesText(int64(rep.AreaGLBBytes)), rep.RFByteAreaGLBBytes)
	st := textTable{left: map[int]bool{0: true, 1: true, 3: true}}
	st.header = []string{"dataflow", "arch", "RF/PE", "RF keeps", "GLB", "on-chip"}
	for _, s := range rep.Architectures {
		rf, keeps := bytesText(s.RFBytesPerPE), strings.Join(tensorTitles(s.RFKeeps), ", ")
		if s.RFBytesPerPE == 0 {
			rf, keeps = "none", "-"
		}
		st.rows = append(st.rows, []string{s.Dataflow, s.Arch, rf, keeps, bytesText(s.GLBBytes), bytesText(s.OnChipBytes)})
	}
	if err := st.write(w); err != nil {
		return err
	}
	for gi := range rep.Groups {
		g := &rep.Groups[gi]
		fmt.Fprintf(w, "\n%s: %s MACs\nenergy per MAC in units of one MAC (%g pJ), by level and by data type\n\n", groupTitle(g), siCount(g.MACs), rep.MACEnergyPJ)
		t := textTable{left: map[int]bool{0: true}}
		t.header = []string{"dataflow", "DRAM", "buffer", "array", "RF", "ALU", "weights", "inputs", "psums", "total", "vs " + g.Reference}
		for _, r := range g.Results {
			l, d := r.EnergyPerMAC.ByLevel, r.EnergyPerMAC.ByTensor
			t.rows = append(t.rows, []string{r.Dataflow, fmtF(l.DRAM, 3), fmtF(l.Buffer, 3), fmtF(l.Array, 3), fmtF(l.RF, 3), fmtF(l.ALU, 3),
				fmtF(d.Weights, 3), fmtF(d.Inputs, 3), fmtF(d.Outputs, 3), fmtF(r.EnergyPerMAC.Total, 3), fmtF(r.VsReference, 2) + "x"})
		}
		if err := t.write(w); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nenergy per MAC of each layer\n\n")
		lt := textTable{left: map[int]bool{0: true}}
		lt.header = []string{"layer"}
		for _, r := range g.Results {
			lt.header = append(lt.header, r.Dataflow)
		}
		for _, name := range g.Layers {
			row := []string{name}
			for _, r := range g.Results {
				// A stopped comparison may leave a layer out.
				cell := "-"
				if k := slices.IndexFunc(r.Layers, func(l report.CompareLayer) bool { return l.Name == name }); k >= 0 {
					cell = fmtF(r.Layers[k].EnergyPerMACNormalized, 3)
				}
				row = append(row, cell)
			}
			lt.rows = append(lt.rows, row)
		}
		if err := lt.write(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, r := range g.Results {
			var evals int64
			searched, optimal := 0, 0
			for _, l := range r.Layers {
				if l.Search == nil {
					continue
				}
				searched++
				evals += l.Search.Evaluations
				if l.Search.Optimal {
					optimal++
				}
			}
			fmt.Fprintf(w, "search %s: %d layer shapes, %d evaluations, %d proven optimal for the space\n", r.Dataflow, searched, evals, optimal)
		}
	}
	writePartial(w, rep.Partial)
	return nil
}

// tensorTitles returns tensor identifiers as tables name them: Weights,
// Inputs, Outputs.
func tensorTitles(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strings.ToUpper(id[:1]) + id[1:]
	}
	return out
}

// compareCSVHeader is the columns of compare --format csv.
var compareCSVHeader = []string{"group", "dataflow", "rf_bytes_per_pe", "glb_bytes", "macs", "energy_pj",
	"dram", "buffer", "array", "rf", "alu", "weights", "inputs", "psums", "total", "vs_reference", "reference"}

func writeCompareCSV(w io.Writer, rep *report.Compare) error {
	cw := csv.NewWriter(w)
	cw.Write(compareCSVHeader)
	for _, g := range rep.Groups {
		for i, r := range g.Results {
			s := rep.Architectures[i]
			l, d := r.EnergyPerMAC.ByLevel, r.EnergyPerMAC.ByTensor
			cw.Write([]string{groupName(g.Name), r.Dataflow, i64(s.RFBytesPerPE), i64(s.GLBBytes), i64(g.MACs), fmtF(r.EnergyPJ, 1),
				fmtF(l.DRAM, 4), fmtF(l.Buffer, 4), fmtF(l.Array, 4), fmtF(l.RF, 4), fmtF(l.ALU, 4),
				fmtF(d.Weights, 4), fmtF(d.Inputs, 4), fmtF(d.Outputs, 4), fmtF(r.EnergyPerMAC.Total, 4), fmtF(r.VsReference, 4), g.Reference})
		}
	}
	cw.Flush()
	return cw.Error()
}
