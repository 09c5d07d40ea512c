package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/timeloop"
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
		Long: `Read Timeloop's inputs — the architecture and problem as its front end
dumps them (parsed-processed-input.yaml), Accelergy's ERT and ART, and a
mapping (map.yaml) — and write to --out the nnergy architecture
(arch.yaml), workload (workload.yaml) and mapping (mapping.txt), and
import-report.txt: what could not be carried over and why (also printed).
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
			f, err := os.Create(filepath.Join(out, "import-report.txt"))
			if err != nil {
				return fmt.Errorf("import timeloop: %w", err)
			}
			if err := r.WriteReport(f); err != nil {
				f.Close()
				return fmt.Errorf("import timeloop: %w", err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("import timeloop: %w", err)
			}
			for _, name := range []string{"arch.yaml", "workload.yaml", "mapping.txt"} {
				data, ok := files[name]
				if !ok {
					continue
				}
				if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
					return fmt.Errorf("import timeloop: %w", err)
				}
				fmt.Fprintf(e.stdout, "wrote %s\n", filepath.Join(out, name))
			}
			fmt.Fprintf(e.stdout, "wrote %s\n\n", filepath.Join(out, "import-report.txt"))
			return r.WriteReport(e.stdout)
		},
	}
	tl.Flags().StringVar(&out, "out", "", "directory to write arch.yaml, workload.yaml, mapping.txt and import-report.txt to (required)")
	c.AddCommand(tl)
	return c
}
