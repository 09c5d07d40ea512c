package onnx

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/nnergy/nnergy/internal/onnxpb"
	"github.com/nnergy/nnergy/internal/outfile"
)

// Encode writes m to w in the ONNX protobuf format. Nodes are written in
// topological order (m is not modified); a zero IRVersion or an empty
// Opsets list are written as DefaultIRVersion and DefaultOpset. It fails on
// graphs that read undefined values or have cycles, and on tensors whose
// data does not match their dimensions.
func Encode(w io.Writer, m *Model) error {
	b, err := Marshal(m)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// WriteFile encodes m into file path, through a temporary file renamed
// over it, so that a failed write leaves path as it was.
func WriteFile(path string, m *Model) error {
	b, err := Marshal(m)
	if err != nil {
		return err
	}
	if err := outfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// Marshal returns the ONNX protobuf encoding of m (see Encode).
func Marshal(m *Model) ([]byte, error) {
	p, err := m.proto()
	if err != nil {
		var ne *NodeError
		if errors.As(err, &ne) {
			return nil, ne
		}
		return nil, fmt.Errorf("onnx: encode: %w", err)
	}
	b, err := proto.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode: %w", err)
	}
	return b, nil
}

func (m *Model) proto() (*onnxpb.ModelProto, error) {
	if m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	p := &onnxpb.ModelProto{IrVersion: ptr(m.IRVersion)}
	if m.IRVersion == 0 {
		p.IrVersion = ptr(int64(DefaultIRVersion))
	}
	opsets := m.Opsets
	if len(opsets) == 0 {
		opsets = []Opset{{Domain: "", Version: DefaultOpset}}
	}
	for _, o := range opsets {
		p.OpsetImport = append(p.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: ptr(o.Domain), Version: ptr(o.Version)})
	}
	setStr(&p.ProducerName, m.ProducerName)
	setStr(&p.ProducerVersion, m.ProducerVersion)
	setStr(&p.Domain, m.Domain)
	setStr(&p.DocString, m.DocString)
	if m.ModelVersion != 0 {
		p.ModelVersion = ptr(m.ModelVersion)
	}
	g, err := m.Graph.proto()
	if err != nil {
		return nil, err
	}
	p.Graph = g
	return p, nil
}

func setStr(dst **string, s string) {
	if s != "" {
		*dst = ptr(s)
	}
}

func (g *Graph) proto() (*onnxpb.GraphProto, error) {
	order, err := g.topoOrder()
	if err != nil {
		return nil, err
	}
	p := &onnxpb.GraphProto{Name: ptr(g.Name)}
	if g.Name == "" {
		p.Name = ptr("graph")
	}
	setStr(&p.DocString, g.DocString)
	for _, t := range g.Initializers {
		tp, err := t.proto()
		if err != nil {
			return nil, fmt.Errorf("initializer %q: %w", t.Name, err)
		}
		p.Initializer = append(p.Initializer, tp)
	}
	for _, v := range g.Inputs {
		p.Input = append(p.Input, v.proto())
	}
	for _, v := range g.Outputs {
		p.Output = append(p.Output, v.proto())
	}
	for _, v := range g.ValueInfo {
		p.ValueInfo = append(p.ValueInfo, v.proto())
	}
	for i := range g.Nodes {
		n := g.Nodes[i]
		if order != nil {
			n = g.Nodes[order[i]]
		}
		np := &onnxpb.NodeProto{Input: n.Inputs, Output: n.Outputs, OpType: ptr(n.OpType)}
		setStr(&np.Name, n.Name)
		setStr(&np.Domain, n.Domain)
		setStr(&np.DocString, n.DocString)
		for j := range n.Attrs {
			ap, err := n.Attrs[j].proto()
			if err != nil {
				return nil, n.Errorf("%v", err)
			}
			np.Attribute = append(np.Attribute, ap)
		}
		p.Node = append(p.Node, np)
	}
	return p, nil
}

func (v *ValueInfo) proto() *onnxpb.ValueInfoProto {
	tt := &onnxpb.TypeProto_Tensor{ElemType: ptr(int32(v.DataType))}
	if !v.Unranked {
		tt.Shape = &onnxpb.TensorShapeProto{Dim: make([]*onnxpb.TensorShapeProto_Dimension, len(v.Shape))}
		for i, d := range v.Shape {
			dim := &onnxpb.TensorShapeProto_Dimension{}
			switch {
			case d >= 0:
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}
			case i < len(v.Params) && v.Params[i] != "":
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v.Params[i]}
			}
			tt.Shape.Dim[i] = dim
		}
	}
	return &onnxpb.ValueInfoProto{
		Name: ptr(v.Name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}},
	}
}
