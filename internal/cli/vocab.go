package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command-line vocabulary (docs/cli.md): one name per concept, one
// meaning per name. The flags every command shares are defined here, once,
// so that their names, units and usage cannot drift apart again;
// TestVocabulary walks every command and fails on a concept spelled two
// ways.

// aliasesRemovedIn is the release in which the deprecated spellings of
// flags (deprecatedAlias) go away.
const aliasesRemovedIn = "v0.2.0"

// concept is one entry of the vocabulary: the flag's canonical name, the
// unit or the values its usage string must name, and the spellings no
// command may use for it any more (kept only as deprecated aliases).
type concept struct {
	name     string
	unit     string
	synonyms []string
}

// vocabulary lists the concepts whose spelling was once ambiguous. The
// test holds every command to it; docs/cli.md explains each.
var vocabulary = []concept{
	// Which layers: one name (map, mapspace), several (eval), or a
	// group (compare: conv, fc, all).
	{name: "layer", unit: "layer", synonyms: []string{"layers"}},
	// The network's batch N, images per inference; the mini-batch of
	// training and fine-tuning is --train-batch (train, prune, adapt
	// and codesign called it --batch).
	{name: "batch", unit: "(N), images per inference"},
	{name: "train-batch", unit: "images per training step"},
	// The data set and where it is read from, on every command that
	// reads one (eval called it --calibrate and could not be told
	// where).
	{name: "data", unit: "mnist, fashion-mnist or synthetic", synonyms: []string{"calibrate"}},
	{name: "data-dir", unit: "directory"},
	// Images on which activation densities are measured.
	{name: "density-images", unit: "images", synonyms: []string{"calibrate-images"}},
	// Images for the least-squares restoration of energy-aware pruning
	// (--calibration, which read as the density images' name).
	{name: "restore-images", unit: "training images", synonyms: []string{"calibration"}},
	// How many training images to use (--limit, which runs list keeps
	// for the number of runs).
	{name: "train-images", unit: "training images"},
	// serve's time limit on a request; --timeout is the search's.
	{name: "request-timeout", unit: "request"},
	// The dataflow, or in compare the dataflows compared (a list flag
	// is singular, as --layer, --objective and --method are).
	{name: "dataflow", unit: "rs", synonyms: []string{"dataflows"}},
	// A figure written to a file (compare called its --chart).
	{name: "plot", unit: "SVG or PNG", synonyms: []string{"chart"}},
	// What a search minimizes (lexicographic), and the objectives of a
	// Pareto front: codesign called its front's --objective.
	{name: "objective", unit: "minimize"},
	{name: "pareto", unit: "Pareto front"},
	// The mapper's budget and time limit per layer search (serve's
	// limit on a request is --request-timeout).
	{name: "max-evals", unit: "cost-model evaluations"},
	{name: "timeout", unit: "search"},
	// What a command writes on stdout; each offers the formats of
	// table, json, csv and yaml its result has (docs/cli.md).
	{name: "format", unit: "output format: "},
	// Learning rates and lengths: --lr trains (train); the final
	// fine-tune is --finetune-lr and --finetune-epochs on prune, adapt
	// and codesign (adapt called them --long-lr and --long-epochs, and
	// its --lr was the short-term fine-tune's, now --short-lr).
	{name: "lr", unit: "learning rate of training"},
	{name: "finetune-lr", unit: "fine-tune", synonyms: []string{"long-lr"}},
	{name: "finetune-epochs", unit: "fine-tune", synonyms: []string{"long-epochs"}},
	{name: "short-lr", unit: "short-term fine-tune"},
	// Whether to draw progress on stderr; was a --quiet bool on the
	// searching commands, which could not ask for it off a terminal.
	{name: "progress", unit: "always or never", synonyms: []string{"quiet"}},
}

// deprecatedAlias adds old to fl as a hidden, deprecated spelling of the
// flag canon, which must already be defined: it sets the same variable,
// counts as giving canon (fl.Changed(canon)), and using it prints "Flag
// --old has been deprecated, use --canon ..." on stderr (see
// deprecationsToStderr).
func deprecatedAlias(fl *pflag.FlagSet, old, canon string) {
	c := fl.Lookup(canon)
	fl.AddFlag(&pflag.Flag{
		Name:        old,
		Usage:       "deprecated spelling of --" + canon,
		Value:       aliasValue{c},
		DefValue:    c.DefValue,
		NoOptDefVal: c.NoOptDefVal,
	})
	_ = fl.MarkDeprecated(old, fmt.Sprintf("use --%s (--%s goes away in %s)", canon, old, aliasesRemovedIn))
}

// aliasValue sets the value of the flag it stands for, through that flag's
// Value as it is when parsing (checkNumericFlags wraps it later).
type aliasValue struct{ canon *pflag.Flag }

func (a aliasValue) Set(s string) error {
	if err := a.canon.Value.Set(s); err != nil {
		return err
	}
	a.canon.Changed = true
	return nil
}

func (a aliasValue) String() string { return a.canon.Value.String() }
func (a aliasValue) Type() string   { return a.canon.Value.Type() }

// deprecationsToStderr sends the deprecation notices of c's flags and its
// subcommands' to w. Cobra would print them with the command's output,
// stdout, into the JSON or CSV a command writes there; pflag writes
// nothing else to a flag set's output while parsing.
func deprecationsToStderr(c *cobra.Command, w io.Writer) {
	c.Flags().SetOutput(w)
	for _, s := range c.Commands() {
		deprecationsToStderr(s, w)
	}
}

// registerData adds --data, the data set (default def; purpose, after the
// values, says what the command does with it), and --data-dir, where it
// is read from.
func registerData(fl *pflag.FlagSet, set, dir *string, def, purpose string) {
	fl.StringVar(set, "data", def, "data set: mnist, fashion-mnist or synthetic"+purpose)
	fl.StringVar(dir, "data-dir", "", "data directory (mnist: default $NNERGY_DATA/mnist or ~/.cache/nnergy/mnist; fashion-mnist: default /usr/share/datasets/fashion-mnist)")
}

// registerRestoreImages adds --restore-images, the training images on which
// pruning restores a layer's output by least squares, and --calibration,
// its deprecated spelling; with says when the flag applies.
func registerRestoreImages(fl *pflag.FlagSet, p *int, def int, with string) {
	fl.IntVar(p, "restore-images", def, with+"training images on which a pruned layer's output is restored by least squares")
	deprecatedAlias(fl, "calibration", "restore-images")
}

// registerTrainImages adds --train-images, how many of the training images
// the command uses (doing says what it does with them), and --limit, its
// deprecated spelling.
func registerTrainImages(fl *pflag.FlagSet, p *int, doing string) {
	fl.IntVar(p, "train-images", 0, doing+" the first N training images only (0: all)")
	deprecatedAlias(fl, "limit", "train-images")
}

// registerTrainBatch adds --train-batch, the mini-batch size of training
// or fine-tuning, and --batch, its deprecated spelling.
func registerTrainBatch(fl *pflag.FlagSet, p *int, def int) {
	fl.IntVar(p, "train-batch", def, "mini-batch size of training and fine-tuning, images per training step")
	deprecatedAlias(fl, "batch", "train-batch")
}

// progressMode is --progress: whether a command draws its progress line
// (or bar) on stderr.
type progressMode string

const (
	progressAuto   progressMode = "auto" // when stderr is a terminal
	progressAlways progressMode = "always"
	progressNever  progressMode = "never"
)

func (p *progressMode) Set(s string) error {
	switch m := progressMode(s); m {
	case progressAuto, progressAlways, progressNever:
		*p = m
		return nil
	}
	return fmt.Errorf("unknown mode %q (have auto, always, never)", s)
}

func (p *progressMode) String() string { return string(*p) }
func (p *progressMode) Type() string   { return "mode" }

// on reports whether to draw the progress on w.
func (p progressMode) on(w io.Writer) bool {
	switch p {
	case progressAlways:
		return true
	case progressNever:
		return false
	}
	return trainTTY(w)
}

// registerProgress adds --progress to fl, and --quiet, its deprecated
// spelling (--progress never), when the command had it.
func registerProgress(fl *pflag.FlagSet, p *progressMode, quiet bool) {
	*p = progressAuto
	fl.Var(p, "progress", "progress line on stderr: auto (when stderr is a terminal), always or never")
	if !quiet {
		return
	}
	fl.AddFlag(&pflag.Flag{
		Name:        "quiet",
		Usage:       "deprecated spelling of --progress never",
		Value:       quietValue{p, fl.Lookup("progress")},
		DefValue:    "false",
		NoOptDefVal: "true",
	})
	_ = fl.MarkDeprecated("quiet", "use --progress never (--quiet goes away in "+aliasesRemovedIn+")")
}

// quietValue is --quiet: true sets --progress never, false auto.
type quietValue struct {
	p     *progressMode
	canon *pflag.Flag
}

func (q quietValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*q.p = progressAuto
	if b {
		*q.p = progressNever
	}
	q.canon.Changed = true
	return nil
}

func (q quietValue) String() string { return strconv.FormatBool(*q.p == progressNever) }
func (q quietValue) Type() string   { return "bool" }
