package onnx_test

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/onnx"
)

// fuzzSeeds returns the encoded models FuzzImport mutates: the hand-written
// import cases, the PyTorch fixtures and an exported model with every layer.
var fuzzSeeds = sync.OnceValues(func() ([][]byte, error) {
	var out [][]byte
	for _, tc := range importCases {
		b, err := onnx.Marshal(tc.build())
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	files, _ := filepath.Glob("testdata/*.onnx")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	for _, m := range []*nn.Model{allLayers(), activations()} {
		om, err := nnonnx.Export(m)
		if err != nil {
			return nil, err
		}
		b, err := onnx.Marshal(om)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
})

// ops are op types FuzzImport may put in place of a node's own.
var ops = []string{"Conv", "Gemm", "MatMul", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
	"BatchNormalization", "Add", "Sum", "Concat", "Flatten", "Reshape", "Dropout", "Identity", "Pad",
	"Shape", "Gather", "Unsqueeze", "Squeeze", "Slice", "Cast", "Constant",
	"Sub", "Mul", "Div", "Pow", "Sigmoid", "Tanh", "Erf", "Sqrt", "HardSigmoid", "HardSwish", "LeakyRelu", "Gelu",
	"Softmax", "LogSoftmax", "Transpose", "LayerNormalization", "ReduceMean", "ConstantOfShape"}

// FuzzImport mutates valid models (attributes, node inputs, op types,
// weight shapes) and checks that Import never panics, and that a model it
// accepts passes nn's checks and runs. Run longer with
//
//	go test ./nn/onnx -run '^$' -fuzz FuzzImport -fuzztime 60s
func FuzzImport(f *testing.F) {
	seeds, err := fuzzSeeds()
	if err != nil {
		f.Fatal(err)
	}
	for i := range seeds {
		f.Add([]byte{byte(i)})
		f.Add([]byte{byte(i), 3, 0, 1, 7, 1, 2})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		om, err := onnx.Parse("seed.onnx", seeds[int(data[0])%len(seeds)])
		if err != nil {
			t.Fatal(err)
		}
		g := om.Graph
		for k := 1; k+2 < len(data); k += 3 {
			a, b, c := int(data[k]), data[k+1], int(data[k+2])
			n := g.Nodes[a%len(g.Nodes)]
			switch b % 4 {
			case 0: // an attribute value
				if len(n.Attrs) == 0 {
					continue
				}
				at := &n.Attrs[c%len(n.Attrs)]
				v := int64(int8(b)) / 4
				switch {
				case len(at.Ints) > 0:
					at.Ints[c%len(at.Ints)] = v
				case at.Type == onnx.AttrInt:
					at.Int = v
				case at.Type == onnx.AttrFloat:
					at.Float = float32(v) / 8
				}
			case 1: // an input: another value defined before the node
				i := slices.Index(g.Nodes, n)
				names := []string{g.Inputs[0].Name}
				for _, p := range g.Nodes[:i] {
					names = append(names, p.Outputs...)
				}
				for _, in := range g.Initializers {
					names = append(names, in.Name)
				}
				if len(n.Inputs) > 0 {
					n.Inputs[c%len(n.Inputs)] = names[int(b/4)%len(names)]
				}
			case 2: // the op type
				n.OpType = ops[c%len(ops)]
			case 3: // a weight's shape, keeping its size
				in := g.Initializers[c%len(g.Initializers)]
				if len(in.Dims) > 1 {
					in.Dims = []int64{in.Len()}
				} else if len(in.Dims) == 1 && in.Len()%2 == 0 {
					in.Dims = []int64{2, in.Len() / 2}
				}
			}
		}
		m, err := nnonnx.Import(om)
		if err != nil {
			return
		}
		if err := m.Check(); err != nil {
			t.Fatalf("Import returned a model that fails Check: %v", err)
		}
		x := nn.NewTensor(append([]int{1}, m.InShape...)...)
		if _, err := nn.NewExec(m, 1).Forward(x, false); err != nil {
			t.Fatalf("imported model does not run: %v", err)
		}
	})
}
