package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// The output formats of the commands that print tables.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatCSV   = "csv"
)

func checkFormat(cmd string, f string) error {
	switch f {
	case formatTable, formatJSON, formatCSV:
		return nil
	}
	return usagef("%s: unknown --format %q (want table, json or csv)", cmd, f)
}

// modelSummary is one row of `nnergy models`.
type modelSummary struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Layers      int    `json:"layers"`
	MACs        int64  `json:"macs"`
	Params      int64  `json:"params"`
}

func (e *env) modelsCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "models",
		Short: "List the built-in models",
		Long: `List the built-in models of the zoo with their layer count, MACs and
parameters (weight words, without biases) at batch 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat("models", format); err != nil {
				return err
			}
			var rows []modelSummary
			for _, m := range zoo.Models() {
				n := m.New()
				rows = append(rows, modelSummary{m.Name, m.Description, len(n.Layers), n.MACs(), n.Params()})
			}
			return writeModels(e.stdout, format, rows)
		},
	}
	c.Flags().StringVar(&format, "format", formatTable, "output format: table, json or csv")
	return c
}

func writeModels(w io.Writer, format string, rows []modelSummary) error {
	switch format {
	case formatJSON:
		return writeJSON(w, struct {
			Models []modelSummary `json:"models"`
		}{rows})
	case formatCSV:
		cw := csv.NewWriter(w)
		cw.Write([]string{"name", "layers", "macs", "params", "description"})
		for _, r := range rows {
			cw.Write([]string{r.Name, itoa(r.Layers), i64(r.MACs), i64(r.Params), r.Description})
		}
		cw.Flush()
		return cw.Error()
	}
	t := textTable{header: []string{"NAME", "LAYERS", "MACS", "PARAMS", "DESCRIPTION"}, left: map[int]bool{0: true, 4: true}}
	for _, r := range rows {
		t.rows = append(t.rows, []string{r.Name, itoa(r.Layers), siCount(r.MACs), siCount(r.Params), r.Description})
	}
	return t.write(w)
}

// layerRow is one layer of `nnergy show`.
type layerRow struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	N           int      `json:"n"`
	G           int      `json:"g"`
	M           int      `json:"m"`
	C           int      `json:"c"`
	P           int      `json:"p"`
	Q           int      `json:"q"`
	R           int      `json:"r"`
	S           int      `json:"s"`
	StrideH     int      `json:"stride_h"`
	StrideW     int      `json:"stride_w"`
	DilationH   int      `json:"dilation_h"`
	DilationW   int      `json:"dilation_w"`
	MACs        int64    `json:"macs"`
	WeightWords int64    `json:"weight_words"`
	InputWords  int64    `json:"input_words"`
	OutputWords int64    `json:"output_words"`
	From        []string `json:"from"`
	// SharesWeights names the layer whose weights this one reads again (a
	// recurrent step); they count once in the parameters.
	SharesWeights string `json:"shares_weights,omitempty"`
}

// showTotal sums the layers; Params leaves out the second operands of
// MatMuls, which are activations.
type showTotal struct {
	Layers      int   `json:"layers"`
	MACs        int64 `json:"macs"`
	WeightWords int64 `json:"weight_words"`
	InputWords  int64 `json:"input_words"`
	OutputWords int64 `json:"output_words"`
	Params      int64 `json:"params"`
}

type showResult struct {
	Name  string `json:"name"`
	Batch int    `json:"batch"`
	// BatchUnknown: an imported file whose batch cannot be told apart,
	// shown at its own shapes (Batch is 1).
	BatchUnknown bool                  `json:"batch_unknown,omitempty"`
	Input        [4]int                `json:"input"`            // N, C, H, W
	Inputs       []workload.NamedShape `json:"inputs,omitempty"` // imported networks: every input, any rank
	Layers       []layerRow            `json:"layers"`
	Total        showTotal             `json:"total"`
}

func (e *env) showCmd() *cobra.Command {
	var (
		format, model string
		mf            modelFlags
	)
	c := &cobra.Command{
		Use:   "show (--model MODEL | MODEL)",
		Short: "Print the layers of a model: loop bounds, MACs, weights, activations",
		Long: `Print every layer of a model (a built-in model name, see 'nnergy models'):
its kind, the loop bounds N G M C P Q R S, the stride, the MACs, and the
words of its weights, inputs (including padding) and outputs, with totals.
The CSV output has one row per layer and no total row.`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 1 && model != "":
				return usagef("show: give the model once, by --model or as the argument")
			case len(args) == 0 && model == "":
				return usagef("show: want one model, by --model or as the argument")
			case len(args) > 1:
				return usagef("show: want one model, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat("show", format); err != nil {
				return err
			}
			if mf.batch < 1 {
				return usagef("show: --batch %d, want at least 1", mf.batch)
			}
			if len(args) == 1 {
				model = args[0]
			}
			n, err := mf.load("show", model)
			if err != nil {
				return err
			}
			return writeShow(e.stdout, format, newShowResult(n))
		},
	}
	c.Flags().StringVar(&format, "format", formatTable, "output format: table, json or csv")
	c.Flags().StringVar(&model, "model", "", "network: zoo name, workload YAML or ONNX file (or give it as the argument)")
	mf.register(c.Flags(), 1)
	return c
}

func newShowResult(n *workload.Network) showResult {
	r := showResult{Name: n.Name, Batch: n.Batch, BatchUnknown: n.BatchUnknown, Input: n.Input, Inputs: n.Inputs,
		Layers: make([]layerRow, 0, len(n.Layers))}
	for _, l := range n.Layers {
		s := l.Shape
		row := layerRow{
			Name: l.Name, Kind: l.Kind.String(),
			N: s[workload.N], G: s[workload.G], M: s[workload.M], C: s[workload.C],
			P: s[workload.P], Q: s[workload.Q], R: s[workload.R], S: s[workload.S],
			StrideH: l.Stride[0], StrideW: l.Stride[1],
			DilationH: l.Dilation[0], DilationW: l.Dilation[1],
			MACs:          l.MACs(),
			WeightWords:   l.Size(workload.Weights),
			InputWords:    l.Size(workload.Inputs),
			OutputWords:   l.Size(workload.Outputs),
			From:          append([]string{}, l.From...),
			SharesWeights: l.SharesWeights,
		}
		r.Layers = append(r.Layers, row)
		r.Total.MACs += row.MACs
		r.Total.WeightWords += row.WeightWords
		r.Total.InputWords += row.InputWords
		r.Total.OutputWords += row.OutputWords
	}
	r.Total.Layers = len(n.Layers)
	r.Total.Params = n.Params()
	return r
}

func writeShow(w io.Writer, format string, r showResult) error {
	switch format {
	case formatJSON:
		return writeJSON(w, r)
	case formatCSV:
		cw := csv.NewWriter(w)
		cw.Write([]string{"name", "kind", "n", "g", "m", "c", "p", "q", "r", "s",
			"stride_h", "stride_w", "dilation_h", "dilation_w",
			"macs", "weight_words", "input_words", "output_words", "from"})
		for _, l := range r.Layers {
			cw.Write([]string{l.Name, l.Kind, itoa(l.N), itoa(l.G), itoa(l.M), itoa(l.C),
				itoa(l.P), itoa(l.Q), itoa(l.R), itoa(l.S),
				itoa(l.StrideH), itoa(l.StrideW), itoa(l.DilationH), itoa(l.DilationW),
				i64(l.MACs), i64(l.WeightWords), i64(l.InputWords), i64(l.OutputWords),
				strings.Join(l.From, ";")})
		}
		cw.Flush()
		return cw.Error()
	}
	if _, err := fmt.Fprintf(w, "%s: %d layers, %s, %s\n\n",
		r.Name, r.Total.Layers, batchText(r.Batch, r.BatchUnknown), inputText(r.Input, r.Inputs)); err != nil {
		return err
	}
	t := textTable{
		header: []string{"LAYER", "KIND", "N", "G", "M", "C", "P", "Q", "R", "S", "STRIDE", "MACS", "WEIGHTS", "INPUTS", "OUTPUTS"},
		left:   map[int]bool{0: true, 1: true},
	}
	for _, l := range r.Layers {
		t.rows = append(t.rows, []string{l.Name, l.Kind,
			itoa(l.N), itoa(l.G), itoa(l.M), itoa(l.C), itoa(l.P), itoa(l.Q), itoa(l.R), itoa(l.S),
			strideText(l), i64(l.MACs), i64(l.WeightWords), i64(l.InputWords), i64(l.OutputWords)})
	}
	tot := r.Total
	t.rows = append(t.rows, []string{"total", "", "", "", "", "", "", "", "", "", "",
		i64(tot.MACs), i64(tot.WeightWords), i64(tot.InputWords), i64(tot.OutputWords)})
	if err := t.write(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s MACs, %s parameters (weight words)", siCount(tot.MACs), siCount(tot.Params))
	var matmul, shared bool
	for _, l := range r.Layers {
		matmul = matmul || l.Kind == workload.MatMul.String()
		shared = shared || l.SharesWeights != ""
	}
	if err == nil && matmul {
		_, err = fmt.Fprint(w, "; the WEIGHTS of a matmul are its second activation operand")
	}
	if err == nil && shared {
		_, err = fmt.Fprint(w, "; the steps of a recurrent node read one weight tensor, counted once")
	}
	if err == nil {
		_, err = fmt.Fprintln(w)
	}
	return err
}

// strideText formats a layer's stride ("4", or "2x1" when it differs between
// rows and columns), followed by the dilation when it is not 1.
func strideText(l layerRow) string {
	s := itoa(l.StrideH)
	if l.StrideW != l.StrideH {
		s += "x" + itoa(l.StrideW)
	}
	if l.DilationH != 1 || l.DilationW != 1 {
		s += " d" + itoa(l.DilationH)
		if l.DilationW != l.DilationH {
			s += "x" + itoa(l.DilationW)
		}
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func itoa(v int) string  { return strconv.Itoa(v) }
func i64(v int64) string { return strconv.FormatInt(v, 10) }

// siCount formats a count with an SI prefix for people: 416.5 k, 724.4 M,
// 15.47 G.
func siCount(v int64) string {
	f := float64(v)
	switch {
	case f >= 1e9:
		return strconv.FormatFloat(f/1e9, 'f', 2, 64) + " G"
	case f >= 1e6:
		return strconv.FormatFloat(f/1e6, 'f', 1, 64) + " M"
	case f >= 1e3:
		return strconv.FormatFloat(f/1e3, 'f', 1, 64) + " k"
	}
	return strconv.FormatInt(v, 10)
}

// textTable writes columns separated by two spaces, with the columns in
// left aligned to the left and all others (numbers) to the right.
type textTable struct {
	header []string
	left   map[int]bool
	rows   [][]string
}

func (t *textTable) write(w io.Writer) error {
	// tabwriter aligns every cell the same way, so each cell carries its
	// own separator, and left-aligned cells are padded here to the width
	// of their column.
	width := make([]int, len(t.header))
	all := append([][]string{t.header}, t.rows...)
	for _, r := range all {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 0, ' ', tabwriter.AlignRight)
	var b strings.Builder
	for _, r := range all {
		b.Reset()
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			if t.left[i] && i < len(r)-1 {
				c += strings.Repeat(" ", width[i]-len(c))
			}
			b.WriteString(c)
			if !t.left[i] || i < len(r)-1 {
				b.WriteByte('\t')
			}
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(tw, b.String()); err != nil {
			return err
		}
	}
	return tw.Flush()
}
