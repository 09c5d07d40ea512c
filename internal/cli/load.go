package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/load"
)

// modelFlags say how to load a model: its batch size and, for an ONNX
// file, the sizes of its symbolic dimensions.
type modelFlags struct {
	batch        int
	dims, shapes []string
	fl           *pflag.FlagSet
}

func (mf *modelFlags) register(fl *pflag.FlagSet, batch int) {
	mf.fl = fl
	fl.IntVar(&mf.batch, "batch", batch, "batch size (N), images per inference; an ONNX file is loaded at its own batch unless this is given")
	fl.StringArrayVar(&mf.dims, "dim", nil, "ONNX file: the size of a symbolic dimension other than the batch, NAME=SIZE, e.g. seq=128 (repeatable)")
	fl.StringArrayVar(&mf.shapes, "input-shape", nil, "ONNX file: the shape of a graph input, NAME=D0xD1x..., e.g. src=1x128x256 (repeatable)")
}

// load returns the network that model names (see package workload/load) at the
// batch size of the flags. An ONNX file is imported at that batch, or at
// its own when --batch is not given; any other network is built with
// N = batch and rescaled with WithBatch.
func (mf *modelFlags) load(cmd, model string) (*workload.Network, error) {
	if mf.batch < 1 {
		return nil, usagef("%s: --batch must be at least 1, got %d", cmd, mf.batch)
	}
	o := load.Options{Batch: mf.batch}
	if load.KindOf(model) == load.ONNX && !mf.fl.Changed("batch") {
		o.Batch = 0 // the file's own
	}
	if load.KindOf(model) != load.ONNX && (len(mf.dims) > 0 || len(mf.shapes) > 0) {
		return nil, usagef("%s: --dim and --input-shape apply to ONNX files, not to %s", cmd, model)
	}
	for _, s := range mf.dims {
		name, v, ok := strings.Cut(s, "=")
		n, err := strconv.Atoi(v)
		if !ok || name == "" || err != nil || n < 1 {
			return nil, usagef("%s: --dim %q: want NAME=SIZE with a size of at least 1, e.g. seq=128", cmd, s)
		}
		if _, dup := o.Dims[name]; dup {
			return nil, usagef("%s: --dim %s is given twice", cmd, name)
		}
		if o.Dims == nil {
			o.Dims = map[string]int{}
		}
		o.Dims[name] = n
	}
	for _, s := range mf.shapes {
		name, v, ok := strings.Cut(s, "=")
		shape, err := parseShape(v)
		if !ok || name == "" || err != nil {
			return nil, usagef("%s: --input-shape %q: want NAME=D0xD1x..., e.g. src=1x128x256%s", cmd, s, errText(err))
		}
		if _, dup := o.Shapes[name]; dup {
			return nil, usagef("%s: --input-shape %s is given twice", cmd, name)
		}
		if o.Shapes == nil {
			o.Shapes = map[string][]int{}
		}
		o.Shapes[name] = shape
	}
	return load.Network(model, o)
}

// parseShape parses 1x128x256.
func parseShape(s string) ([]int, error) {
	var shape []int
	for _, d := range strings.Split(s, "x") {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("dimension %q is not a positive integer", d)
		}
		shape = append(shape, n)
	}
	return shape, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

// inputText formats the inputs of a network for a header: "input
// 1x3x224x224 (NxCxHxW)" for a zoo or YAML network, "input 1x8x16 (src)"
// or "inputs 1x8x16 (src), 8x8 (mask)" for an imported one.
func inputText(in [4]int, inputs []workload.NamedShape) string {
	if len(inputs) == 0 {
		return fmt.Sprintf("input %dx%dx%dx%d (NxCxHxW)", in[0], in[1], in[2], in[3])
	}
	parts := make([]string, len(inputs))
	for i, in := range inputs {
		ds := make([]string, len(in.Shape))
		for j, d := range in.Shape {
			ds[j] = strconv.Itoa(d)
		}
		parts[i] = fmt.Sprintf("%s (%s)", strings.Join(ds, "x"), in.Name)
		if len(in.Shape) == 0 {
			parts[i] = fmt.Sprintf("scalar (%s)", in.Name)
		}
	}
	if len(parts) == 1 {
		return "input " + parts[0]
	}
	return "inputs " + strings.Join(parts, ", ")
}

// batchText formats the batch of a network for a header.
func batchText(batch int, unknown bool) string {
	if unknown {
		return "batch unknown (the file's own shapes)"
	}
	return fmt.Sprintf("batch %d", batch)
}
