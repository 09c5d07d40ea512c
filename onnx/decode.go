package onnx

import (
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/nnergy/nnergy/internal/onnxpb"
)

// ReadFile reads and decodes the ONNX model in file path. Errors name the file.
func ReadFile(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return Parse(path, data)
}

// Decode reads an ONNX model from r. Errors carry no file name; use Parse or
// ReadFile when there is one.
func Decode(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return Parse("", data)
}

// Parse decodes the ONNX model in data, read from the file name (used in
// error messages and stored in Model.Source). It checks that the model has a
// graph, that every tensor's data agrees with its type and dimensions, that
// every node input is defined, and puts the nodes in topological order if
// they are not.
func Parse(name string, data []byte) (*Model, error) {
	m, err := parse(data)
	if err != nil {
		var ne *NodeError
		if errors.As(err, &ne) {
			ne.File = name
			return nil, ne
		}
		if name != "" {
			return nil, fmt.Errorf("onnx: %s: %w", name, err)
		}
		return nil, fmt.Errorf("onnx: %w", err)
	}
	m.Source = name
	return m, nil
}

func parse(data []byte) (*Model, error) {
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	var p onnxpb.ModelProto
	if err := proto.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("not an ONNX model, or truncated: %v", err)
	}
	if p.GetIrVersion() <= 0 {
		return nil, errors.New("not an ONNX model: no ir_version")
	}
	if p.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	m := &Model{
		IRVersion:       p.GetIrVersion(),
		ProducerName:    p.GetProducerName(),
		ProducerVersion: p.GetProducerVersion(),
		Domain:          p.GetDomain(),
		ModelVersion:    p.GetModelVersion(),
		DocString:       p.GetDocString(),
	}
	for _, o := range p.GetOpsetImport() {
		m.Opsets = append(m.Opsets, Opset{Domain: o.GetDomain(), Version: o.GetVersion()})
	}
	if len(p.GetFunctions()) > 0 {
		return nil, errors.New("model-local functions are not supported")
	}
	g, err := graphFromProto(p.Graph)
	if err != nil {
		return nil, err
	}
	m.Graph = g
	return m, nil
}

func graphFromProto(p *onnxpb.GraphProto) (*Graph, error) {
	g := &Graph{Name: p.GetName(), DocString: p.GetDocString()}
	if len(p.GetSparseInitializer()) > 0 {
		return nil, errors.New("sparse initializers are not supported")
	}
	inits := make(map[string]bool, len(p.GetInitializer()))
	for i, tp := range p.GetInitializer() {
		t, err := tensorFromProto(tp)
		if err != nil {
			if tp.GetName() == "" {
				return nil, fmt.Errorf("initializer %d: %w", i, err)
			}
			return nil, fmt.Errorf("initializer %q: %w", tp.GetName(), err)
		}
		inits[t.Name] = true
		g.Initializers = append(g.Initializers, t)
	}
	for _, vp := range p.GetInput() {
		if inits[vp.GetName()] {
			continue // IR < 4 lists initializers as inputs too
		}
		v, err := valueInfoFromProto(vp)
		if err != nil {
			return nil, fmt.Errorf("graph input %q: %w", vp.GetName(), err)
		}
		g.Inputs = append(g.Inputs, v)
	}
	for _, vp := range p.GetOutput() {
		v, err := valueInfoFromProto(vp)
		if err != nil {
			return nil, fmt.Errorf("graph output %q: %w", vp.GetName(), err)
		}
		g.Outputs = append(g.Outputs, v)
	}
	for _, vp := range p.GetValueInfo() {
		v, err := valueInfoFromProto(vp)
		if err != nil {
			continue // annotations of non-tensor values carry nothing we use
		}
		g.ValueInfo = append(g.ValueInfo, v)
	}
	for _, np := range p.GetNode() {
		n := &Node{
			Name:      np.GetName(),
			OpType:    np.GetOpType(),
			Domain:    np.GetDomain(),
			Inputs:    np.GetInput(),
			Outputs:   np.GetOutput(),
			DocString: np.GetDocString(),
		}
		if n.Domain == "ai.onnx" {
			n.Domain = ""
		}
		for _, ap := range np.GetAttribute() {
			a, err := attrFromProto(ap)
			if err != nil {
				return nil, n.Errorf("%v", err)
			}
			if n.Attr(a.Name) != nil {
				return nil, n.AttrErrorf(a.Name, "given twice")
			}
			n.Attrs = append(n.Attrs, a)
		}
		g.Nodes = append(g.Nodes, n)
	}
	if err := g.Sort(); err != nil {
		return nil, err
	}
	return g, nil
}

func valueInfoFromProto(p *onnxpb.ValueInfoProto) (ValueInfo, error) {
	v := ValueInfo{Name: p.GetName()}
	if v.Name == "" {
		return v, errors.New("no name")
	}
	tt := p.GetType().GetTensorType()
	if tt == nil {
		if p.GetType() == nil {
			v.Unranked = true
			return v, nil
		}
		return v, errors.New("only tensor types are supported")
	}
	v.DataType = DataType(tt.GetElemType())
	if tt.Shape == nil {
		v.Unranked = true
		return v, nil
	}
	v.Shape = make([]int64, len(tt.Shape.GetDim()))
	for i, d := range tt.Shape.GetDim() {
		v.Shape[i] = -1
		switch x := d.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			if x.DimValue < 0 {
				return v, fmt.Errorf("dimension %d is %d", i, x.DimValue)
			}
			v.Shape[i] = x.DimValue
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			if v.Params == nil {
				v.Params = make([]string, len(tt.Shape.GetDim()))
			}
			v.Params[i] = x.DimParam
		}
	}
	return v, nil
}
