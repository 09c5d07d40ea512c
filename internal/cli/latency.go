package cli

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/nn"
)

func (e *env) latencyCmd() *cobra.Command {
	var model, baseline string
	var cfg nn.LatencyConfig
	c := &cobra.Command{
		Use:   "latency",
		Short: "Measure per-layer inference latency on this CPU",
		Long: `Run a model (a saved .nnw or .onnx file, or a zoo network) in inference
mode on random input and print, per layer, the median time of --runs timed
passes after --warmup untimed ones, and the median time of a whole pass.

--baseline B then times whole passes of the model and of B interleaved
(one pass of each per round, --runs rounds), so that the load of other
processes falls on both alike, and prints the model's latency as a
fraction of B's: the check of a pruned or adapted model against a budget
given as a fraction of the original.`,
		Example: `  nnergy latency --model lenet.onnx --workers 1 --runs 300
  nnergy latency --model adapted.onnx --baseline lenet.onnx --workers 1 --runs 500`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			switch {
			case model == "":
				return usagef("latency: --model is required")
			case cfg.Batch < 1:
				return usagef("latency: --batch must be at least 1, got %d", cfg.Batch)
			case cfg.Runs < 1:
				return usagef("latency: --runs must be at least 1, got %d", cfg.Runs)
			case cfg.Warmup < 0 || cfg.Workers < 0:
				return usagef("latency: --warmup and --workers must not be negative")
			}
			m, name, err := loadNNModel(model, 1)
			if err != nil {
				return err
			}
			var base *nn.Model
			var baseName string
			if baseline != "" {
				if base, baseName, err = loadNNModel(baseline, 1); err != nil {
					return err
				}
				if !slices.Equal(base.InShape, m.InShape) {
					return usagef("latency: --baseline %s takes input %v, --model %s %v", baseName, base.InShape, name, m.InShape)
				}
			}
			if cfg.Warmup == 0 {
				cfg.Warmup = -1 // none, as asked (zero means the default)
			}
			lat, err := nn.MeasureLatency(m, cfg)
			if err != nil {
				return err
			}
			shapes, err := m.Shapes()
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: batch %d, median of %d runs, %d workers\n", name, lat.Batch, lat.Runs, lat.Workers)
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "layer\tkind\toutput\tlatency\tshare\t")
			var sum time.Duration
			for _, l := range lat.Layers {
				sum += l.Median
			}
			for _, l := range lat.Layers {
				share := 0.0
				if sum > 0 {
					share = 100 * float64(l.Median) / float64(sum)
				}
				fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%.1f%%\t\n", l.Name, l.Kind, nnDims(shapes[l.Name]), latencyMicro(l.Median), share)
			}
			fmt.Fprintf(tw, "sum of layers\t\t\t%s\t\t\n", latencyMicro(sum))
			fmt.Fprintf(tw, "whole pass\t\t\t%s\t\t\n", latencyMicro(lat.Total))
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "throughput %.0f images/s\n", float64(lat.Batch)/lat.Total.Seconds())
			if base != nil {
				d, err := nn.CompareLatency([]*nn.Model{m, base}, cfg)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "against %s (whole passes interleaved, median of %d each): %s vs %s, %.1f%%\n",
					baseName, cfg.Runs, latencyMicro(d[0]), latencyMicro(d[1]), 100*float64(d[0])/float64(d[1]))
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&model, "model", "", "model file (.nnw or .onnx) or zoo network")
	fl.StringVar(&baseline, "baseline", "", "also time whole passes against this model, interleaved, and print the ratio")
	fl.IntVar(&cfg.Batch, "batch", 1, "batch size (N), images per inference pass timed")
	fl.IntVar(&cfg.Runs, "runs", 20, "timed runs")
	fl.IntVar(&cfg.Warmup, "warmup", 3, "untimed runs before timing")
	fl.IntVar(&cfg.Workers, "workers", 0, "worker goroutines (0: one per CPU)")
	return c
}

// dims formats a shape as 6x28x28.
func nnDims(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = fmt.Sprint(d)
	}
	return strings.Join(p, "x")
}

// micro formats a duration in microseconds.
func latencyMicro(d time.Duration) string {
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}
