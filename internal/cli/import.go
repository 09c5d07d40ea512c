package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/timeloop"
	"github.com/nnergy/nnergy/workload"
)

func (e *env) importCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "import",
		Short: "Import designs written for other tools (Timeloop)",
		Args:  cobra.NoArgs,
	}
	var out string
	tl := &cobra.Command{
		Use:   "timeloop DIR|FILES...",
		Short: "Import a Timeloop architecture, ERT, ART, problem and mapping as nnergy files",
		Long: `Read Timeloop's inputs — the architecture (the v0.4 tree of arch.yaml, or
the v0.3 form the front end dumps in parsed-processed-input.yaml), the
problem, Accelergy's ERT and ART, and a
mapping (map.yaml) — and write to --out the nnergy architecture
(arch.yaml), workload (workload.yaml), mapping (mapping.txt) and the
architecture and mapspace constraints (constraints.yaml), and
import-report.txt and import-report.json (docs/format/report.md, kind
import): what could not be carried over and why (also printed).
A directory stands for its *.yaml files; those with none of the sections
architecture, problem, mapping, ERT, ART are skipped. See docs/timeloop.md.`,
		Example: `  nnergy import timeloop ref_outputs/default_problem --out eyeriss_like
  nnergy eval --arch eyeriss_like/arch.yaml --model eyeriss_like/workload.yaml \
    --layer conv2D --mapping eyeriss_like/mapping.txt`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("import timeloop: --out is required")
			}
			in, skipped, err := timeloop.ReadPaths(args)
			if err != nil {
				return err
			}
			r, err := timeloop.Import(in)
			if err != nil {
				return err
			}
			r.Skipped = skipped
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("import timeloop: %w", err)
			}
			files := map[string][]byte{"arch.yaml": r.ArchYAML, "workload.yaml": r.WorkloadYAML}
			if r.Mapping != nil {
				files["mapping.txt"] = []byte(r.MappingText)
			}
			if r.ConstraintsYAML != nil {
				files["constraints.yaml"] = r.ConstraintsYAML
			}
			rep := report.NewImport("timeloop")
			rep.Files, rep.Skipped = r.Files, r.Skipped
			rep.Notes = make([]report.ImportNote, 0, len(r.Notes))
			for _, n := range r.Notes {
				rep.Notes = append(rep.Notes, report.ImportNote{Where: n.Where, What: n.What, Why: n.Why})
			}
			for _, name := range []string{"arch.yaml", "workload.yaml", "mapping.txt", "constraints.yaml"} {
				data, ok := files[name]
				if !ok {
					continue
				}
				path := filepath.Join(out, name)
				if err := os.WriteFile(path, data, 0o644); err != nil {
					return fmt.Errorf("import timeloop: %w", err)
				}
				rep.Written = append(rep.Written, path)
				fmt.Fprintf(e.stdout, "wrote %s\n", path)
			}
			var text, js bytes.Buffer
			if err := r.WriteReport(&text); err != nil {
				return fmt.Errorf("import timeloop: %w", err)
			}
			if err := writeJSON(&js, rep); err != nil {
				return fmt.Errorf("import timeloop: %w", err)
			}
			for name, data := range map[string][]byte{"import-report.txt": text.Bytes(), "import-report.json": js.Bytes()} {
				if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
					return fmt.Errorf("import timeloop: %w", err)
				}
			}
			fmt.Fprintf(e.stdout, "wrote %s and %s\n\n", filepath.Join(out, "import-report.txt"), filepath.Join(out, "import-report.json"))
			_, err = e.stdout.Write(text.Bytes())
			return err
		},
	}
	tl.Flags().StringVar(&out, "out", "", "directory to write arch.yaml, workload.yaml, mapping.txt and the import report to (required)")
	c.AddCommand(tl)
	return c
}

// formatTimeloop is the --format of map and eval that writes the mapping
// for Timeloop (docs/timeloop.md).
const formatTimeloop = "timeloop"

// checkTimeloopOut refuses --out without --format timeloop, before any
// work is done.
func checkTimeloopOut(cmd, format, out string) error {
	if out != "" && format != formatTimeloop {
		return usagef("%s: --out needs --format timeloop", cmd)
	}
	return nil
}

// writeTimeloop writes mapping m of layer l on spec for Timeloop, to the
// levels of layout lay (nil: those ExportDesign writes for spec): its
// map.yaml to stdout, or with out the whole design (arch, ERT, ART,
// problem, map.yaml) into the directory out, and what Timeloop cannot
// express to stderr.
func (e *env) writeTimeloop(cmd string, spec *arch.Spec, lay *timeloop.Layout, l *workload.Layer, m *mapping.Mapping, out string) error {
	if out == "" {
		data, err := timeloop.ExportMapping(spec, lay, l, m)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(data)
		return err
	}
	ex, err := timeloop.ExportDesign(spec, lay, l, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	for _, f := range ex.Files {
		path := filepath.Join(out, f.Name)
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", path)
	}
	for _, n := range ex.Notes {
		fmt.Fprintf(e.stderr, "timeloop export: %s: %s: %s\n", n.Where, n.What, n.Why)
	}
	return nil
}

// timeloopDirect is what --arch, --model and --mapping gave as Timeloop
// files, imported together.
type timeloopDirect struct {
	res                  *timeloop.Result
	arch, model, mapping bool
}

// loadTimeloop imports, in one import, the Timeloop files among archPath,
// modelPath and mappingPath (each one a Timeloop file when it has the
// top-level architecture, problem or mapping section its flag reads), with
// the ERT, ART and variables of the files beside the architecture, and
// prints the import's report to w. It returns nil when none is one.
func loadTimeloop(cmd, archPath, modelPath, mappingPath string, w io.Writer) (*timeloopDirect, error) {
	t := &timeloopDirect{}
	var inputs []*timeloop.Input
	byPath := map[string]*timeloop.Input{}
	add := func(path string, data []byte, sections ...string) {
		in := byPath[path]
		if in == nil {
			in = &timeloop.Input{Name: path, Data: data}
			byPath[path] = in
			inputs = append(inputs, in)
		}
		in.Sections = append(in.Sections, sections...)
	}
	for _, r := range []struct {
		path, section string
		flag          *bool
	}{{archPath, "architecture", &t.arch}, {modelPath, "problem", &t.model}, {mappingPath, "mapping", &t.mapping}} {
		if st, err := os.Stat(r.path); r.path == "" || err != nil || st.IsDir() {
			continue // a preset, a zoo name, or missing: the flag's own loader says
		}
		data, err := yamlspec.ReadFile(r.path)
		if err != nil || !slices.Contains(timeloop.Sections(data), r.section) {
			continue
		}
		if r.section == "architecture" {
			// The architecture's own constraints come with it (and a
			// search keeps to them, as Timeloop's mapper does).
			add(r.path, data, r.section, "architecture_constraints", "mapspace_constraints")
		} else {
			add(r.path, data, r.section)
		}
		*r.flag = true
	}
	if len(inputs) == 0 {
		return nil, nil
	}
	if t.mapping && !(t.arch && t.model) {
		return nil, usagef("%s: the Timeloop --mapping %s needs the Timeloop --arch and --model it maps (its targets and factors name them)", cmd, mappingPath)
	}
	if t.arch {
		beside, _, err := timeloop.ReadPaths([]string{filepath.Dir(archPath)})
		if err != nil {
			return nil, fmt.Errorf("%s: --arch %s: the ERT beside it: %w", cmd, archPath, err)
		}
		for _, in := range beside {
			var secs []string
			for _, s := range timeloop.Sections(in.Data) {
				if s == "ERT" || s == "ART" || s == "variables" {
					secs = append(secs, s)
				}
			}
			if len(secs) > 0 {
				add(in.Name, in.Data, secs...)
			}
		}
	}
	var ins []timeloop.Input
	for _, in := range inputs {
		ins = append(ins, *in)
	}
	r, err := timeloop.ImportSome(ins)
	if err != nil {
		return nil, err
	}
	t.res = r
	if err := r.WriteReport(w); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return t, nil
}

// layout returns the Timeloop levels of an imported --arch (nil
// otherwise).
func (t *timeloopDirect) layout() *timeloop.Layout {
	if t != nil && t.arch {
		return t.res.Layout
	}
	return nil
}

// loadArch returns the imported architecture, or loads path.
func (t *timeloopDirect) loadArch(path string) (*arch.Spec, error) {
	if t != nil && t.arch {
		return t.res.Spec, nil
	}
	return arch.Load(path)
}

// loadModel returns the imported problem's network, or calls load.
func (t *timeloopDirect) loadModel(load func() (*workload.Network, error)) (*workload.Network, error) {
	if t != nil && t.model {
		return t.res.Network, nil
	}
	return load()
}

// loadMapping returns the imported mapping, or reads path for levels.
func (t *timeloopDirect) loadMapping(path string, levels []string) (*mapping.Mapping, error) {
	if t != nil && t.mapping {
		return t.res.Mapping, nil
	}
	return mapping.ReadFileFor(path, levels)
}
