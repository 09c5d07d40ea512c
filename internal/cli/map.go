package cli

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/workload"
)

// layerFlags select one layer of a network on an architecture.
type layerFlags struct {
	arch, model, layer, dataflow, constraints string
	mf                                        modelFlags
	stderr                                    io.Writer       // for the report of a Timeloop import (nil: none)
	tl                                        *timeloopDirect // what load imported from Timeloop files
}

func (f *layerFlags) register(c *cobra.Command, dataflowDefault string) {
	fl := c.Flags()
	fl.StringVar(&f.arch, "arch", "eyeriss", "architecture: preset name or YAML file")
	fl.StringVar(&f.model, "model", "alexnet", "network: zoo name, workload YAML or ONNX file")
	fl.StringVar(&f.layer, "layer", "", "layer name (required)")
	f.mf.register(fl, 1)
	fl.StringVar(&f.dataflow, "dataflow", dataflowDefault, "search within this dataflow's constraints (ws, os, is, rs, nlr), or best for the whole mapspace")
	fl.StringVar(&f.constraints, "constraints", "", "YAML file of mapping constraints (docs/format/constraints.md), laid over the dataflow's")
}

// readConstraints reads a constraints file ("" gives none) for the
// architecture spec (nil: not checked): a level the architecture lacks is
// an error naming the file, found here because the file's rules are merged
// with the dataflow's before the mapspace sees them.
func readConstraints(path string, spec *arch.Spec) (mapspace.Constraints, error) {
	if path == "" {
		return mapspace.Constraints{}, nil
	}
	b, err := yamlspec.ReadFile(path)
	if err != nil {
		return mapspace.Constraints{}, err
	}
	c, err := mapspace.ParseConstraints(path, b)
	if err != nil {
		return c, err
	}
	if spec == nil {
		return c, nil
	}
	return c, c.UnknownLevel(spec)
}

// searchConstraints returns the user's constraints of a search: those of
// the --constraints file path (see readConstraints), else those the
// Timeloop architecture (and mapspace constraints) of tl carry, which a
// search keeps to as Timeloop's mapper does; w hears which applies when
// tl imported an architecture.
func searchConstraints(path string, spec *arch.Spec, tl *timeloopDirect, archPath string, w io.Writer) (mapspace.Constraints, error) {
	c, err := readConstraints(path, spec)
	if err != nil || tl == nil || !tl.arch {
		return c, err
	}
	switch {
	case !tl.model && path == "":
		// The import turns constraints into nnergy's for the dimensions
		// and bounds of a Timeloop problem; a network of nnergy's has none.
		fmt.Fprintf(w, "the constraints of the Timeloop architecture %s are carried with its Timeloop problem only (--model a Timeloop problem file); this search is not held to them (--constraints FILE holds it to yours)\n", archPath)
	case len(tl.res.ConstraintsYAML) == 0:
	case path != "":
		fmt.Fprintf(w, "--constraints %s replaces the constraints of the Timeloop architecture %s\n", path, archPath)
	default:
		if c, err = mapspace.ParseConstraints(archPath+" (its constraints, imported)", tl.res.ConstraintsYAML); err != nil {
			return c, fmt.Errorf("the constraints of the Timeloop architecture %s: %w", archPath, err)
		}
	}
	return c, nil
}

// constraintsFor returns the constraints of layer l: the dataflow's (none
// for nil) with the user's laid on top.
func constraintsFor(df *dataflow.Dataflow, user mapspace.Constraints, l *workload.Layer, spec *arch.Spec) mapspace.Constraints {
	var c mapspace.Constraints
	if df != nil {
		c = dataflow.Constraints(*df, l, spec)
	}
	return mapspace.Merge(c, user)
}

// load returns the architecture, the layer and the mapspace the flags name.
func (f *layerFlags) load(cmd string) (*arch.Spec, *workload.Layer, *mapspace.Space, *dataflow.Dataflow, error) {
	if f.layer == "" {
		return nil, nil, nil, nil, usagef("%s: --layer is required", cmd)
	}
	df, err := parseDataflowFlag(f.dataflow)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	tl, err := loadTimeloop(cmd, f.arch, f.model, "", cmp.Or[io.Writer](f.stderr, io.Discard))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	f.tl = tl
	spec, err := tl.loadArch(f.arch)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	net, err := tl.loadModel(func() (*workload.Network, error) { return f.mf.load(cmd, f.model) })
	if err != nil {
		return nil, nil, nil, nil, err
	}
	l, err := net.Layer(f.layer)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	user, err := searchConstraints(f.constraints, spec, tl, f.arch, cmp.Or[io.Writer](f.stderr, io.Discard))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	s, err := mapspace.New(l, spec, constraintsFor(df, user, l, spec))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return spec, l, s, df, nil
}

func (e *env) mapCmd() *cobra.Command {
	var lf layerFlags
	var sf searchFlags
	var format, out string
	c := &cobra.Command{
		Use:   "map",
		Short: "Search the best mapping of one layer",
		Long: `Search the mapspace of one layer on an accelerator for the mapping that
minimizes the objective, and print it as a loop nest with its energy
breakdown, the lower bound and what the search did. On a terminal a
progress line shows on stderr; Ctrl-C stops the search and prints the best
mapping found so far.`,
		Example: `  nnergy map --arch eyeriss --model alexnet --layer conv3 --batch 4
  nnergy map --model resnet50 --layer layer3.0.conv2 --dataflow best --objective edp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if err := checkTimeloopOut("map", format, out); err != nil {
				return err
			}
			if err := checkFormat("map", format); err != nil && format != formatTimeloop {
				return err
			}
			set, err := sf.settings("map", e.stderr)
			if err != nil {
				return err
			}
			lf.stderr = e.stderr
			spec, l, s, df, err := lf.load("map")
			if err != nil {
				return err
			}
			m, err := cost.New(spec)
			if err != nil {
				return err
			}
			if df != nil {
				// Start from the dataflow's builder mapping.
				if b, err := dataflow.Build(*df, l, m); err == nil {
					set.Start = []*mapping.Mapping{b}
				}
			}
			rec, err := e.begin(cmd, store.KindMap, runInputs{arch: archYAML(spec), workload: lf.model, digest: workload.Digest([]*workload.Layer{l})})
			if err != nil {
				return err
			}
			defer func() { err = rec.end(cmd.Context(), err) }()
			best, st, err := mapper.Search(cmd.Context(), s, m, set)
			clearProgress(set, e.stderr)
			if err != nil {
				return fmt.Errorf("%w for layer %q (%v)", err, l.Name, st)
			}
			rep, err := report.NewMap(m, l, df, set.Objective, &best, st)
			if err != nil {
				return err
			}
			rec.setReport(rep)
			switch format {
			case formatJSON:
				return writeJSON(e.stdout, rep)
			case formatCSV:
				return usagef("map: --format csv is not available for one mapping (use table or json)")
			case formatTimeloop:
				return e.writeTimeloop("map", spec, lf.tl.layout(), l, best.Mapping, out)
			}
			return writeMap(e.stdout, rep)
		},
	}
	lf.register(c, "rs")
	sf.register(c.Flags())
	c.Flags().StringVar(&format, "format", formatTable, "output format: table, json, or timeloop (the mapping as Timeloop's map.yaml)")
	c.Flags().StringVar(&out, "out", "", "with --format timeloop: directory to write the design as Timeloop inputs to (arch, ERT, ART, problem, map.yaml)")
	return c
}

func writeMap(w io.Writer, rep *report.Map) error {
	r := &rep.Layer
	fmt.Fprintf(w, "%s on %s, dataflow %s, objective %s\n\n%s\n", r.Name, rep.Arch, rep.Dataflow, strings.Join(rep.Objective, ","), r.Mapping.Text)
	t := textTable{left: map[int]bool{0: true}}
	t.header = []string{"level", "energy_uJ", "share%", "W_reads", "W_writes", "I_reads", "I_writes", "O_reads", "O_writes", "network_uJ", "cycles"}
	for _, l := range r.Levels {
		row := []string{l.Name, fmtF(l.EnergyPJ/1e6, 3), pct(l.EnergyPJ, r.EnergyPJ)}
		for _, tr := range []report.Traffic{l.Tensors.Weights, l.Tensors.Inputs, l.Tensors.Outputs} {
			row = append(row, i64(tr.ReadWords), i64(tr.WriteWords))
		}
		row = append(row, fmtF(l.NetworkPJ/1e6, 3), i64(l.Cycles))
		t.rows = append(t.rows, row)
	}
	// Level and MAC energies include their leakage, so the rows add up.
	mac := r.MACEnergyPJ + r.MACStaticPJ
	t.rows = append(t.rows, []string{"MAC", fmtF(mac/1e6, 3), pct(mac, r.EnergyPJ), "", "", "", "", "", "", "", i64(r.ComputeCycles)})
	if err := t.write(w); err != nil {
		return err
	}
	bound := string(r.BoundBy)
	switch r.BoundBy {
	case report.BoundLevel:
		bound = r.BoundLevel
	case report.BoundNetwork:
		bound = r.BoundLevel + " network"
	}
	_, err := fmt.Fprintf(w, "\nenergy %.3f uJ (%.2f pJ/MAC, %.2fx the lower bound of %.3f uJ; static %.3f uJ), %d cycles (%.3f ms, bound by %s), utilization %.1f%%\n%v\n",
		r.EnergyPJ/1e6, r.EnergyPJPerMAC, r.EnergyOverLowerBound, r.LowerBoundPJ/1e6, r.StaticPJ/1e6, r.Cycles, r.LatencySeconds*1e3, bound, 100*r.Utilization, rep.Search.Stats())
	return err
}

func (e *env) mapspaceCmd() *cobra.Command {
	var lf layerFlags
	c := &cobra.Command{
		Use:   "mapspace",
		Short: "Print the size of one layer's mapspace",
		Long: `Print how large the mapspace of one layer on an accelerator is: the ways
to split every dimension across the levels' temporal loops and spatial
fan-outs, the loop orders and the keep/bypass choices, under a dataflow's
constraints or none (--dataflow best).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, l, s, _, err := lf.load("mapspace")
			if err != nil {
				return err
			}
			z := s.Size()
			fmt.Fprintf(e.stdout, "%s on %s, dataflow %s\n", l.Name, spec.Name, lf.dataflow)
			t := textTable{left: map[int]bool{0: true}}
			t.header = []string{"dim", "bound", "slots", "factorizations"}
			for d := range workload.NumDims {
				dim := workload.Dim(d)
				t.rows = append(t.rows, []string{dim.String(), itoa(l.Shape[d]), itoa(len(s.Free[d])), fmtF(s.DimFactorizations(dim), 0)})
			}
			if err := t.write(e.stdout); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "\nfactorizations %s x loop orders <= %s x keep choices %s = %s mappings (before capacity and fan-out limits)\n",
				sci(z.Factorizations), sci(z.Orders), sci(z.Keeps), sci(z.Total()))
			return err
		},
	}
	lf.register(c, "best")
	return c
}

// sci formats a count: exactly when small, as 1.23e+17 when large.
func sci(v float64) string {
	if v < 1e9 && v == math.Trunc(v) {
		return fmtF(v, 0)
	}
	return fmt.Sprintf("%.3g", v)
}
