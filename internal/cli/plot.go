package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/prune"
	"github.com/nnergy/nnergy/report"
)

func (e *env) plotCmd() *cobra.Command {
	var out, title string
	c := &cobra.Command{
		Use:   "plot HISTORY.json...",
		Short: "Draw the accuracy-resource plot of pruning or NetAdapt histories",
		Long: `Draw again, or together, what nnergy prune --history and nnergy adapt
--history wrote (the JSON files): one or more pruning histories on one
plot, each method of each file as a series (to compare runs made
separately, on different architectures or with different settings), one
NetAdapt history as nnergy adapt --plot draws it, or several NetAdapt or
NetAdaptV2 histories together, each file a series. --out names an SVG or
PNG file.`,
		Example: `  nnergy plot --out both.png magnitude.json energy-aware.json
  nnergy plot --out adapt.svg --title "LeNet-5 to 50% energy" h.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usagef("plot: --out is required")
			}
			if err := e.checkOut("plot", "--out", out, plotExts...); err != nil {
				return err
			}
			var runs []pruneRun
			var adapts []*netadapt.Result
			for _, path := range args {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				pr, ad, err := readHistory(path, b)
				if err != nil {
					return err
				}
				runs = append(runs, pr...)
				if ad != nil {
					adapts = append(adapts, ad)
				}
			}
			switch {
			case len(adapts) > 0 && len(runs) > 0:
				return usagef("plot: NetAdapt histories are drawn without pruning histories (got %d NetAdapt and %d pruning histories)", len(adapts), len(runs))
			case len(adapts) > 1:
				cmp := make([]page.AdaptRun, len(adapts))
				for i, a := range adapts {
					cmp[i] = page.AdaptRun{Label: strings.TrimSuffix(filepath.Base(args[i]), ".json"), Result: a}
				}
				if title == "" {
					title = "adapt: " + cmp[0].Label
					for _, r := range cmp[1:] {
						title += ", " + r.Label
					}
				}
				return writePlot(out, page.AdaptCompareChart(title, cmp))
			case len(adapts) == 1:
				if title == "" {
					title = fmt.Sprintf("%s: NetAdapt, %s", filepath.Base(args[0]), adapts[0].Metric)
				}
				return writePlot(out, page.AdaptChart(title, adapts[0]))
			}
			if title == "" {
				names := make([]string, len(args))
				for i, a := range args {
					names[i] = filepath.Base(a)
				}
				title = "pruning: " + strings.Join(names, ", ")
			}
			return writePlot(out, page.PruneChart(title, pageRuns(runs)))
		},
	}
	c.Flags().StringVar(&out, "out", "", "write the plot to FILE.svg or FILE.png")
	c.Flags().StringVar(&title, "title", "", "the plot's title (default: from the file names)")
	return c
}

// readHistory decodes a pruning history into one run per method, or a
// NetAdapt history: a report, or a file written before reports were
// versioned (report.ReadHistory).
func readHistory(path string, b []byte) ([]pruneRun, *netadapt.Result, error) {
	pr, ad, err := report.ReadHistory(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a pruning or NetAdapt history: %v", path, strings.TrimPrefix(err.Error(), "report: "))
	}
	if ad != nil {
		return nil, ad.Result(), nil
	}
	// Histories written before the method column have none: their steps
	// are one run, named by the file alone.
	var runs []pruneRun
	name := strings.TrimSuffix(filepath.Base(path), ".json")
	for _, r := range pr.Runs {
		var m prune.Method
		label := name
		if r.Method != "" {
			if m, err = prune.ParseMethod(r.Method); err != nil {
				return nil, nil, fmt.Errorf("%s: %v", path, err)
			}
			label += ", " + r.Method
		}
		res := &prune.Result{Reached: r.Reached}
		for i := range r.Steps {
			res.Steps = append(res.Steps, r.Steps[i].ToPrune())
		}
		runs = append(runs, pruneRun{method: m, res: res, label: label})
	}
	return runs, nil, nil
}
