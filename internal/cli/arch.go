package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/workload"
)

// archSummary is one row of `nnergy archs`.
type archSummary struct {
	Name        string   `json:"name"`
	Levels      []string `json:"levels"`
	PEs         int      `json:"pes"`
	MACs        int      `json:"macs"`
	ClockMHz    float64  `json:"clock_mhz"`
	Description string   `json:"description"`
}

func newArchSummary(s *arch.Spec) archSummary {
	r := archSummary{
		Name:        s.Name,
		PEs:         s.Instances(len(s.Levels) - 1),
		MACs:        s.MACUnits(),
		ClockMHz:    s.ClockHz / 1e6,
		Description: s.Description,
	}
	for _, l := range s.Levels {
		r.Levels = append(r.Levels, l.Name)
	}
	return r
}

func (e *env) archsCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "archs",
		Short: "List the built-in architectures",
		Long: `List the built-in architectures (presets) with their storage levels from
DRAM inwards, PEs (instances of the innermost level), MAC units and clock.
Any of them can be printed with "nnergy arch show NAME" and used with --arch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat("archs", format); err != nil {
				return err
			}
			var rows []archSummary
			for _, name := range arch.Presets() {
				s, err := arch.Preset(name)
				if err != nil {
					return err
				}
				rows = append(rows, newArchSummary(s))
			}
			return writeArchs(e.stdout, format, rows)
		},
	}
	c.Flags().StringVar(&format, "format", formatTable, "output format: table, json or csv")
	return c
}

func writeArchs(w io.Writer, format string, rows []archSummary) error {
	switch format {
	case formatJSON:
		return writeJSON(w, struct {
			Archs []archSummary `json:"archs"`
		}{rows})
	case formatCSV:
		cw := csv.NewWriter(w)
		cw.Write([]string{"name", "levels", "pes", "macs", "clock_mhz", "description"})
		for _, r := range rows {
			cw.Write([]string{r.Name, strings.Join(r.Levels, " "), itoa(r.PEs), itoa(r.MACs), archNum(r.ClockMHz), r.Description})
		}
		cw.Flush()
		return cw.Error()
	}
	t := textTable{
		header: []string{"NAME", "LEVELS", "PES", "MACS", "CLOCK", "DESCRIPTION"},
		left:   map[int]bool{0: true, 1: true, 5: true},
	}
	for _, r := range rows {
		t.rows = append(t.rows, []string{r.Name, strings.Join(r.Levels, " > "), itoa(r.PEs), itoa(r.MACs), archNum(r.ClockMHz) + " MHz", r.Description})
	}
	return t.write(w)
}

func (e *env) archCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "arch",
		Short: "Inspect architectures",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("arch: want a subcommand: show")
		},
	}
	c.AddCommand(e.archShowCmd())
	return c
}

func (e *env) archShowCmd() *cobra.Command {
	const formatYAML = "yaml"
	var format string
	c := &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Print an architecture: levels, sizes, energies, bandwidths, networks, area, leakage",
		Long: `Print an architecture, a preset (see "nnergy archs") or a YAML file in the
format of docs/format/arch.md: its storage levels from DRAM inwards with the
tensors each keeps, capacity, word width, mesh and instances, bandwidth,
energy per word of each action, the networks between levels and the MACs,
and the area (per instance, in total and as a share of the chip) and
leakage power of every level and of the MACs.

--format yaml prints the canonical YAML of the architecture instead: every
value explicit and every energy in pJ. It parses back to the same
architecture, so it is a starting point for a variant of a preset.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("arch show: want one architecture name or file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != formatTable && format != formatYAML {
				return usagef("arch show: unknown --format %q (want table or yaml)", format)
			}
			s, err := arch.Load(args[0])
			if err != nil {
				return err
			}
			if format == formatYAML {
				_, err := e.stdout.Write(arch.Format(s))
				return err
			}
			return writeArch(e.stdout, s)
		},
	}
	c.Flags().StringVar(&format, "format", formatTable, "output format: table or yaml")
	return c
}

// writeArch prints an architecture for people.
func writeArch(w io.Writer, s *arch.Spec) error {
	c := s.Compute
	fmt.Fprintf(w, "%s: %s\n", s.Name, s.Description)
	fmt.Fprintf(w, "source: %s\n", s.Source)
	fmt.Fprintf(w, "clock %s MHz, %d PEs, %d MACs (%dx%d per PE, %d-bit, %s pJ per MAC)\n\n",
		archNum(s.ClockHz/1e6), s.Instances(len(s.Levels)-1), s.MACUnits(), c.MeshX, c.MeshY, c.Bits, archPJ(c.EnergyPJ))

	levels := textTable{
		header: []string{"LEVEL", "KEEPS", "SIZE (WORDS)", "PARTITIONS (WORDS)", "BITS", "MESH", "INSTANCES", "BANDWIDTH (WORDS/CYCLE)"},
		left:   map[int]bool{0: true, 1: true, 3: true},
	}
	energies := textTable{
		header: []string{"ENERGY (PJ/WORD)", "TENSORS", "READ", "WRITE", "UPDATE"},
		left:   map[int]bool{0: true, 1: true},
	}
	networks := textTable{
		header: []string{"NETWORK", "FROM", "TO", "PJ/WORD", "MULTICAST", "REDUCTION", "PJ/ADD"},
		left:   map[int]bool{0: true, 1: true, 2: true, 4: true, 5: true},
	}
	for i := range s.Levels {
		l := &s.Levels[i]
		var keeps, parts []string
		for _, t := range workload.Tensors {
			if l.Keeps[t] {
				keeps = append(keeps, t.String())
			}
			if l.Partition[t] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", t, l.Partition[t]))
			}
		}
		size := "unbounded"
		if l.SizeWords > 0 {
			size = fmt.Sprintf("%d (%s)", l.SizeWords, archBytes(l.SizeWords*int64(l.WordBits)/8))
		}
		levels.rows = append(levels.rows, []string{l.Name, strings.Join(keeps, " "), size, archDash(strings.Join(parts, ", ")),
			archWord(l), archMesh(l), itoa(s.Instances(i)), archBandwidth(l)})

		for _, g := range energyGroups(l) {
			a := l.Energy[g[0]]
			names := "all"
			if len(g) < len(keeps) {
				names = ""
				for _, t := range g {
					names += " " + t.String()
				}
				names = names[1:]
			}
			energies.rows = append(energies.rows, []string{l.Name, names, archPJ(a.ReadPJ), archPJ(a.WritePJ), archPJ(a.UpdatePJ)})
		}

		if n := l.Network; i > 0 {
			reduce := "-"
			if n.Reduction {
				reduce = archPJ(n.ReducePJ)
			}
			networks.rows = append(networks.rows, []string{archDash(n.Name), s.Levels[i-1].Name, l.Name, archPJ(n.WordPJ),
				archYesNo(n.Multicast), archYesNo(n.Reduction), reduce})
		}
	}
	area := areaTable(s)
	for i, t := range []*textTable{&levels, &energies, &networks, &area} {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if len(t.rows) == 0 {
			continue
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	gate := "every instance leaks, used or not"
	if s.GateUnused {
		gate = "instances a mapping leaves unused are power-gated"
	}
	if _, err := fmt.Fprintf(w, "\nleakage %s mW with every instance on (%s); networks, control and I/O have no area here\n",
		archPJ(s.LeakageWatts()*1e3), gate); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "counting conventions %s (docs/format/arch.md#counting-conventions)\n", s.Conventions)
	return err
}

// areaTable lists the area and leakage of each level and of the MACs.
func areaTable(s *arch.Spec) textTable {
	a := s.Area()
	t := textTable{
		header: []string{"AREA", "PER INSTANCE (UM2)", "INSTANCES", "TOTAL (MM2)", "SHARE", "LEAKAGE (MW)"},
		left:   map[int]bool{0: true},
	}
	share := func(um2 float64) string {
		if a.TotalUM2 == 0 {
			return "-"
		}
		return strconv.FormatFloat(100*um2/a.TotalUM2, 'f', 1, 64) + "%"
	}
	for i, l := range a.Levels {
		t.rows = append(t.rows, []string{l.Name, archPJ(l.PerInstanceUM2), itoa(l.Instances), archPJ(l.TotalUM2 / 1e6), share(l.TotalUM2),
			archPJ(s.LevelLeakageWatts(i) * float64(l.Instances) * 1e3)})
	}
	c := s.Compute
	t.rows = append(t.rows,
		[]string{"MACs", archPJ(c.AreaUM2), itoa(s.MACUnits()), archPJ(a.ComputeUM2 / 1e6), share(a.ComputeUM2), archPJ(s.MACLeakageWatts() * float64(s.MACUnits()) * 1e3)},
		[]string{"total", "", "", archPJ(a.TotalUM2 / 1e6), share(a.TotalUM2), archPJ(s.LeakageWatts() * 1e3)})
	return t
}

// energyGroups groups the kept tensors of l by equal energies, in tensor
// order.
func energyGroups(l *arch.Level) [][]workload.Tensor {
	var groups [][]workload.Tensor
next:
	for _, t := range workload.Tensors {
		if !l.Keeps[t] {
			continue
		}
		for i, g := range groups {
			if l.Energy[g[0]] == l.Energy[t] {
				groups[i] = append(g, t)
				continue next
			}
		}
		groups = append(groups, []workload.Tensor{t})
	}
	return groups
}

// archWord is a level's word width, with the tensors it holds at other
// widths: "8 (Outputs 24)".
func archWord(l *arch.Level) string {
	w := itoa(l.WordBits)
	var other []string
	for _, t := range workload.Tensors {
		if b := l.DataBits[t]; b > 0 && l.Keeps[t] {
			other = append(other, fmt.Sprintf("%s %d", t, b))
		}
	}
	if len(other) > 0 {
		w += " (" + strings.Join(other, ", ") + ")"
	}
	return w
}

// archMesh is a level's mesh, with its clusters: "16x16 (clusters of 64)".
func archMesh(l *arch.Level) string {
	m := fmt.Sprintf("%dx%d", l.MeshX, l.MeshY)
	if l.ClusterSize > 1 {
		m += fmt.Sprintf(" (clusters of %d)", l.ClusterSize)
	}
	return m
}

// archBandwidth is a level's bandwidth: shared, and its read and write
// ports when given.
func archBandwidth(l *arch.Level) string {
	var parts []string
	if l.BandwidthWords > 0 {
		parts = append(parts, archNum(l.BandwidthWords))
	}
	if l.ReadBandwidthWords > 0 {
		parts = append(parts, "read "+archNum(l.ReadBandwidthWords))
	}
	if l.WriteBandwidthWords > 0 {
		parts = append(parts, "write "+archNum(l.WriteBandwidthWords))
	}
	if len(parts) == 0 {
		return "unlimited"
	}
	return strings.Join(parts, ", ")
}

// num formats a value given by people (clock, bandwidth) exactly.
func archNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// energy formats an energy in pJ to four significant digits.
func archPJ(pj float64) string { return strconv.FormatFloat(pj, 'g', 4, 64) }

// bytesText formats a capacity in bytes with a binary prefix.
func archBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return fmt.Sprintf("%d B", n)
}

func archDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func archYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
