package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/netadaptv2"
	"github.com/nnergy/nnergy/page"
)

// adaptV2Flags are nnergy adapt's flags for --method netadaptv2.
type adaptV2Flags struct {
	proposals, layers, epochs, random, calibBatches int
	minWidth, lr                                    float64
	sandwich, split, shortTune, bypass              bool
}

const adaptV2Help = `--method netadaptv2 searches with NetAdaptV2 (Yang, Liao and Sze, CVPR
2021) instead: the model is first trained for --v2-epochs as a
super-network with ordered dropout (every step trains --v2-random
sub-networks, each layer keeping a prefix of its filters drawn uniformly
from --v2-min-width of them to all, plus with --v2-sandwich the full and
the smallest network; with --v2-split, the default, as in the paper, the
sub-networks share out each batch, so a step costs one pass of it); then
each iteration samples --v2-proposals candidates, each shrinking
--v2-layers layers at once by the least amount that meets the
iteration's target, scores them by the super-network's held-out accuracy
without fine-tuning (--v2-short-tune: after a --short-steps fine-tune),
and keeps the best by --select. At the budget the discovered network is
cut out and trained for --finetune-epochs. With --v2-bypass (the default,
as in the paper) a layer whose input and output have one shape (in
mobilenet-small b1_dw, b3_dw and b3_pw) gets a channel-level bypass: its
width runs down to 0, keeping k channels computed and the others carrying
its input, and at 0 it leaves the network (depth is searched too); the
history names such layers "(cbc)" or "(bypassed)". The super-network trains on every
CPU, as the long-term fine-tune does. --method netadapt,netadaptv2 runs
both from the same start and compares them: wall and CPU time, resource
and accuracy; --plot draws both, and --history, --out and --checkpoint
get the method in their names (h-netadapt.json, h-netadaptv2.json;
DIR/netadapt, DIR/netadaptv2).`

func registerAdaptV2Flags(fl *pflag.FlagSet, f *adaptV2Flags) {
	d := netadaptv2.DefaultOptions()
	fl.IntVar(&f.proposals, "v2-proposals", d.Proposals, "with netadaptv2: proposals per iteration")
	fl.IntVar(&f.layers, "v2-layers", d.Layers, "with netadaptv2: layers each proposal shrinks at once")
	fl.IntVar(&f.epochs, "v2-epochs", d.Epochs, "with netadaptv2: epochs of ordered-dropout super-network training")
	fl.Float64Var(&f.lr, "v2-lr", d.LR, "with netadaptv2: super-network learning rate (Adam, cosine)")
	fl.Float64Var(&f.minWidth, "v2-min-width", d.Sampling.MinWidth, "with netadaptv2: smallest width of a layer, fraction of its filters (trained and searched)")
	fl.IntVar(&f.random, "v2-random", d.Sampling.Random, "with netadaptv2: random sub-networks trained per step")
	fl.BoolVar(&f.sandwich, "v2-sandwich", d.Sampling.Sandwich, "with netadaptv2: also train the full and the smallest network every step")
	fl.BoolVar(&f.split, "v2-split", d.Sampling.Split, "with netadaptv2: the sub-networks of a step share out its batch (one pass of the batch per step) instead of each training on all of it")
	fl.IntVar(&f.calibBatches, "v2-calib-batches", d.CalibBatches, "with netadaptv2: training batches of 64 that recalibrate batch norm before scoring a sub-network")
	fl.BoolVar(&f.shortTune, "v2-short-tune", false, "with netadaptv2: fine-tune each proposal for --short-steps before scoring it")
	fl.BoolVar(&f.bypass, "v2-bypass", !d.NoBypass, "with netadaptv2: channel-level bypasses, so layers between equal shapes can shrink to 0 and leave the network (--v2-bypass=false: every layer keeps --v2-min-width)")
}

// adaptMethods checks --method and the V2 flags.
func adaptMethods(f *adaptFlags) ([]netadaptv2.Method, error) {
	methods, err := netadaptv2.ParseMethods(f.method)
	if err != nil {
		return nil, usagef("adapt: --method: %v", err)
	}
	if err := v2Options(f).Check(flagName); err != nil {
		return nil, usagef("adapt: %v", err)
	}
	switch {
	case len(methods) > 1 && (f.resume != "" || f.report != "" || f.finetuneCmd != ""):
		return nil, usagef("adapt: --resume, --report and --finetune-cmd take one --method")
	case f.finetuneCmd != "" && methods[0] == netadaptv2.NetAdaptV2 && f.v2.shortTune:
		return nil, usagef("adapt: --v2-short-tune fine-tunes with the built-in trainer; it does not take --finetune-cmd")
	}
	return methods, nil
}

// v2Options are NetAdaptV2's options from the flags.
func v2Options(f *adaptFlags) netadaptv2.Options {
	v := f.v2
	return netadaptv2.Options{Proposals: v.proposals, Layers: v.layers, Epochs: v.epochs, Batch: f.batch, LR: v.lr,
		Sampling: netadaptv2.Sampling{MinWidth: v.minWidth, Random: v.random, Sandwich: v.sandwich, Split: v.split}, Seed: f.seed,
		CalibBatches: v.calibBatches, ShortTune: v.shortTune, NoBypass: !v.bypass, Resume: f.resume}
}

// methodPath returns path with "-METHOD" before its extension (a
// directory: "/METHOD" appended) when a run compares several methods.
func methodPath(path string, method netadaptv2.Method, n int, dir bool) string {
	if path == "" || n < 2 {
		return path
	}
	if dir {
		return filepath.Join(path, method.String())
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + method.String() + ext
}

// adaptSearch returns the search of method: nil for NetAdapt (the
// prepared run's own), NetAdaptV2's from its flags.
func (e *env) adaptSearch(method netadaptv2.Method, f *adaptFlags) netadapt.Search {
	if method == netadaptv2.NetAdapt {
		return nil
	}
	o := v2Options(f)
	o.OnTrained = func(st netadaptv2.TrainStats) {
		bypass := ""
		if !o.NoBypass {
			bypass = ", bypass layers from 0"
		}
		fmt.Fprintf(e.stdout, "super-network trained with ordered dropout (%s%s): %d steps, %d sub-networks each, %.0f images/s, %s\n",
			o.Sampling, bypass, st.Steps, st.SubNetworks, st.ImagesPerSec(), st.Elapsed.Round(time.Millisecond))
	}
	o.OnResult = func(res *netadaptv2.Result) {
		fmt.Fprintf(e.stdout, "super-network held-out accuracy %s at full width; discovered widths:", pctAcc(res.SuperAccuracy))
		for u, x := range res.Units {
			fmt.Fprintf(e.stdout, " %s %d/%d", x.Node, res.Widths[u], x.Full)
			switch {
			case x.Bypass && res.Widths[u] == 0:
				fmt.Fprint(e.stdout, " (bypassed)")
			case x.Bypass && res.Widths[u] < x.Full:
				fmt.Fprint(e.stdout, " (cbc)")
			}
		}
		fmt.Fprintln(e.stdout)
	}
	return o.Search()
}

// adaptOutcome is what a comparison of methods prints per method.
type adaptOutcome struct {
	method    netadaptv2.Method
	res       *netadapt.Result
	wall, cpu time.Duration
	test      float64 // test accuracy, NaN without one
}

// printAdaptComparison prints the methods side by side and the speed-up
// of the last over the first.
func printAdaptComparison(w io.Writer, metric string, outs []adaptOutcome) {
	fmt.Fprintf(w, "\n%-11s  %9s  %9s  %12s  %7s  %9s  %9s  %10s\n", "method", "wall", "CPU", metric, "ratio", "held-out", "test", "iterations")
	for _, o := range outs {
		fmt.Fprintf(w, "%-11s  %9s  %9s  %12.6g  %6.1f%%  %9s  %9s  %10d\n", o.method, o.wall.Round(time.Second), o.cpu.Round(time.Second),
			o.res.Resource, 100*o.res.Resource/o.res.Initial, pctAcc(o.res.Accuracy), pctAcc(o.test), len(o.res.Iterations))
	}
	a, b := outs[0], outs[len(outs)-1]
	if b.wall > 0 && b.cpu > 0 {
		fmt.Fprintf(w, "%s over %s: %.2f× faster in wall time, %.2f× in CPU time\n", b.method, a.method,
			a.wall.Seconds()/b.wall.Seconds(), a.cpu.Seconds()/b.cpu.Seconds())
	}
}

// adaptCompareRuns returns the runs of a comparison for its plot.
func adaptCompareRuns(outs []adaptOutcome) []page.AdaptRun {
	runs := make([]page.AdaptRun, len(outs))
	for i, o := range outs {
		runs[i] = page.AdaptRun{Label: o.method.String(), Result: o.res}
	}
	return runs
}
