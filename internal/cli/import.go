package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
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

// writeTimeloop writes mapping m of layer l on spec for Timeloop: its
// map.yaml to stdout, or with out the whole design (arch, ERT, ART,
// problem, map.yaml) into the directory out, and what Timeloop cannot
// express to stderr.
func (e *env) writeTimeloop(cmd string, spec *arch.Spec, l *workload.Layer, m *mapping.Mapping, out string) error {
	if out == "" {
		data, err := timeloop.ExportMapping(spec, l, m)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(data)
		return err
	}
	ex, err := timeloop.ExportDesign(spec, l, m)
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
