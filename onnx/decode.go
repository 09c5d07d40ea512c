package onnx

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nnergy/nnergy/internal/onnxpb"
)

// ReadFile reads and decodes the ONNX model in file path. Errors name the
// file. External tensor data is read from files in the model file's
// directory. The file is decoded as it is read, so that memory holds the
// decoded model but not the file's bytes.
func ReadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("onnx: %s is a directory", path)
	}
	return decodeFrom(path, bufio.NewReaderSize(f, 1<<16), st.Size(), filepath.Dir(path))
}

// Decode reads an ONNX model from r. Errors carry no file name, and
// external tensor data cannot be found: use Parse or ReadFile when there is
// a file.
func Decode(r io.Reader) (*Model, error) {
	return decodeFrom("", bufio.NewReaderSize(r, 1<<16), -1, "")
}

// Parse decodes the ONNX model in data, read from the file name (used in
// error messages and stored in Model.Source; external tensor data is read
// relative to its directory). It checks that the model has a graph, that
// every tensor's data agrees with its type and dimensions, that every node
// input is defined, and puts the nodes in topological order if they are
// not.
func Parse(name string, data []byte) (*Model, error) {
	dir := ""
	if name != "" {
		dir = filepath.Dir(name)
	}
	return decodeFrom(name, bufio.NewReader(bytes.NewReader(data)), int64(len(data)), dir)
}

// decodeFrom decodes the model of size bytes (-1: unknown) in r, read from
// file name, whose external data is in directory dir ("" unknown).
func decodeFrom(name string, r *bufio.Reader, size int64, dir string) (*Model, error) {
	ext := &externalFiles{dir: dir}
	defer ext.close()
	m, err := parse(&decoder{r: r, ext: ext}, size)
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

func parse(d *decoder, size int64) (*Model, error) {
	if size == 0 {
		return nil, errors.New("empty file")
	}
	if size < 0 {
		if _, err := d.r.Peek(1); err == io.EOF {
			return nil, errors.New("empty file")
		}
	}
	p, inits, err := d.model(size)
	if err != nil {
		var em *errMalformed
		if errors.As(err, &em) {
			return nil, fmt.Errorf("not an ONNX model, or truncated: %v", em)
		}
		return nil, err
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
	g, err := graphFromProto(p.Graph, inits, d.ext)
	if err != nil {
		return nil, err
	}
	m.Graph = g
	return m, nil
}

// graphFromProto converts p, whose initializers were decoded into inits
// as they streamed by.
func graphFromProto(p *onnxpb.GraphProto, inits []*Tensor, ext *externalFiles) (*Graph, error) {
	g := &Graph{Name: p.GetName(), DocString: p.GetDocString(), Initializers: inits}
	if len(p.GetSparseInitializer()) > 0 {
		return nil, errors.New("sparse initializers are not supported")
	}
	isInit := make(map[string]bool, len(inits))
	for _, t := range inits {
		isInit[t.Name] = true
	}
	for _, vp := range p.GetInput() {
		if isInit[vp.GetName()] {
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
			a, err := attrFromProto(ap, ext)
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
