package onnx

import (
	"fmt"

	"github.com/nnergy/nnergy/internal/onnxpb"
)

// AttrType is the type of an attribute's value, numbered as in onnx.proto
// (AttributeProto.AttributeType).
type AttrType int32

// The attribute types. Graph, sparse tensor and type-proto attributes are
// kept opaque: they survive a decode/encode round trip but have no accessor.
const (
	AttrUndefined     AttrType = 0
	AttrFloat         AttrType = 1
	AttrInt           AttrType = 2
	AttrString        AttrType = 3
	AttrTensor        AttrType = 4
	AttrGraph         AttrType = 5
	AttrFloats        AttrType = 6
	AttrInts          AttrType = 7
	AttrStrings       AttrType = 8
	AttrTensors       AttrType = 9
	AttrGraphs        AttrType = 10
	AttrSparseTensor  AttrType = 11
	AttrSparseTensors AttrType = 12
	AttrTypeProto     AttrType = 13
	AttrTypeProtos    AttrType = 14
)

// String returns the type's name as onnx.proto spells it ("INTS").
func (t AttrType) String() string {
	if s, ok := onnxpb.AttributeProto_AttributeType_name[int32(t)]; ok {
		return s
	}
	return fmt.Sprintf("AttrType(%d)", int32(t))
}

// Attribute is one named attribute of a node. The field that holds the
// value depends on Type.
type Attribute struct {
	Name    string
	Type    AttrType
	Float   float32
	Int     int64
	Str     string
	Tensor  *Tensor
	Floats  []float32
	Ints    []int64
	Strs    []string
	Tensors []*Tensor

	opaque *onnxpb.AttributeProto // graph, sparse and type attributes, kept for Encode
}

// IntAttr returns an INT attribute.
func IntAttr(name string, v int64) Attribute { return Attribute{Name: name, Type: AttrInt, Int: v} }

// IntsAttr returns an INTS attribute.
func IntsAttr(name string, v ...int64) Attribute {
	return Attribute{Name: name, Type: AttrInts, Ints: v}
}

// FloatAttr returns a FLOAT attribute.
func FloatAttr(name string, v float32) Attribute {
	return Attribute{Name: name, Type: AttrFloat, Float: v}
}

// FloatsAttr returns a FLOATS attribute.
func FloatsAttr(name string, v ...float32) Attribute {
	return Attribute{Name: name, Type: AttrFloats, Floats: v}
}

// StringAttr returns a STRING attribute.
func StringAttr(name, v string) Attribute {
	return Attribute{Name: name, Type: AttrString, Str: v}
}

// StringsAttr returns a STRINGS attribute.
func StringsAttr(name string, v ...string) Attribute {
	return Attribute{Name: name, Type: AttrStrings, Strs: v}
}

// TensorAttr returns a TENSOR attribute (the value of a Constant node).
func TensorAttr(name string, t *Tensor) Attribute {
	return Attribute{Name: name, Type: AttrTensor, Tensor: t}
}

// NodeError is an error about one node, and optionally one of its
// attributes. It prints as
//
//	onnx: model.onnx: node "conv1" (Conv): attribute "pads": want 4 ints, got 2
//
// where the file name appears only when known.
type NodeError struct {
	File   string // model file, if known
	Node   string // node name, or its first output when the node has no name
	OpType string
	Attr   string // attribute name, if the error is about one
	Msg    string
}

func (e *NodeError) Error() string {
	s := "onnx: "
	if e.File != "" {
		s += e.File + ": "
	}
	s += fmt.Sprintf("node %q (%s): ", e.Node, e.OpType)
	if e.Attr != "" {
		s += fmt.Sprintf("attribute %q: ", e.Attr)
	}
	return s + e.Msg
}

// Errorf returns a *NodeError about n.
func (n *Node) Errorf(format string, args ...any) error {
	return &NodeError{Node: n.label(), OpType: n.OpType, Msg: fmt.Sprintf(format, args...)}
}

// AttrErrorf returns a *NodeError about n's attribute attr.
func (n *Node) AttrErrorf(attr, format string, args ...any) error {
	return &NodeError{Node: n.label(), OpType: n.OpType, Attr: attr, Msg: fmt.Sprintf(format, args...)}
}

// label names the node in messages: its name, or its first output.
func (n *Node) label() string {
	if n.Name == "" && len(n.Outputs) > 0 {
		return n.Outputs[0]
	}
	return n.Name
}

// Attr returns the attribute named name, or nil.
func (n *Node) Attr(name string) *Attribute {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i]
		}
	}
	return nil
}

// SetAttr sets attribute a, replacing one of the same name.
func (n *Node) SetAttr(a Attribute) {
	if p := n.Attr(a.Name); p != nil {
		*p = a
		return
	}
	n.Attrs = append(n.Attrs, a)
}

func (n *Node) typed(name string, t AttrType) (*Attribute, error) {
	a := n.Attr(name)
	if a == nil {
		return nil, nil
	}
	if a.Type != t {
		return nil, n.AttrErrorf(name, "want type %s, got %s", t, a.Type)
	}
	return a, nil
}

// Int returns the INT attribute name, or def when the node has none.
func (n *Node) Int(name string, def int64) (int64, error) {
	a, err := n.typed(name, AttrInt)
	if a == nil {
		return def, err
	}
	return a.Int, nil
}

// Float returns the FLOAT attribute name, or def when the node has none.
func (n *Node) Float(name string, def float32) (float32, error) {
	a, err := n.typed(name, AttrFloat)
	if a == nil {
		return def, err
	}
	return a.Float, nil
}

// Str returns the STRING attribute name, or def when the node has none.
func (n *Node) Str(name string, def string) (string, error) {
	a, err := n.typed(name, AttrString)
	if a == nil {
		return def, err
	}
	return a.Str, nil
}

// Ints returns the INTS attribute name, or def when the node has none. When
// want is not negative, the attribute must have exactly want values.
func (n *Node) Ints(name string, want int, def []int64) ([]int64, error) {
	a, err := n.typed(name, AttrInts)
	if a == nil {
		return def, err
	}
	if want >= 0 && len(a.Ints) != want {
		return nil, n.AttrErrorf(name, "want %d ints, got %d", want, len(a.Ints))
	}
	return a.Ints, nil
}

// Floats returns the FLOATS attribute name, or def when the node has none.
// When want is not negative, the attribute must have exactly want values.
func (n *Node) Floats(name string, want int, def []float32) ([]float32, error) {
	a, err := n.typed(name, AttrFloats)
	if a == nil {
		return def, err
	}
	if want >= 0 && len(a.Floats) != want {
		return nil, n.AttrErrorf(name, "want %d floats, got %d", want, len(a.Floats))
	}
	return a.Floats, nil
}

// Tensor returns the TENSOR attribute name, or nil when the node has none.
func (n *Node) Tensor(name string) (*Tensor, error) {
	a, err := n.typed(name, AttrTensor)
	if a == nil {
		return nil, err
	}
	return a.Tensor, nil
}

func attrFromProto(p *onnxpb.AttributeProto, ext *externalFiles) (Attribute, error) {
	a := Attribute{Name: p.GetName(), Type: AttrType(p.GetType())}
	if a.Name == "" {
		return a, fmt.Errorf("attribute without a name")
	}
	if p.GetRefAttrName() != "" {
		return a, fmt.Errorf("attribute %q refers to a function attribute, which is not supported", a.Name)
	}
	if a.Type == AttrUndefined {
		a.Type = inferAttrType(p)
	}
	switch a.Type {
	case AttrFloat:
		a.Float = p.GetF()
	case AttrInt:
		a.Int = p.GetI()
	case AttrString:
		a.Str = string(p.GetS())
	case AttrTensor:
		if p.GetT() == nil {
			return a, fmt.Errorf("attribute %q: TENSOR attribute without a tensor", a.Name)
		}
		t, err := tensorFromProto(p.GetT(), ext)
		if err != nil {
			return a, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
		a.Tensor = t
	case AttrFloats:
		a.Floats = p.GetFloats()
	case AttrInts:
		a.Ints = p.GetInts()
	case AttrStrings:
		for _, s := range p.GetStrings() {
			a.Strs = append(a.Strs, string(s))
		}
	case AttrTensors:
		for _, tp := range p.GetTensors() {
			t, err := tensorFromProto(tp, ext)
			if err != nil {
				return a, fmt.Errorf("attribute %q: %w", a.Name, err)
			}
			a.Tensors = append(a.Tensors, t)
		}
	case AttrGraph, AttrGraphs, AttrSparseTensor, AttrSparseTensors, AttrTypeProto, AttrTypeProtos:
		a.opaque = p
	default:
		return a, fmt.Errorf("attribute %q has unknown type %d", a.Name, int32(a.Type))
	}
	return a, nil
}

// inferAttrType guesses the type of an attribute written before IR version 2
// added the type field.
func inferAttrType(p *onnxpb.AttributeProto) AttrType {
	switch {
	case p.F != nil:
		return AttrFloat
	case p.I != nil:
		return AttrInt
	case p.S != nil:
		return AttrString
	case p.T != nil:
		return AttrTensor
	case p.G != nil:
		return AttrGraph
	case len(p.Floats) > 0:
		return AttrFloats
	case len(p.Ints) > 0:
		return AttrInts
	case len(p.Strings) > 0:
		return AttrStrings
	case len(p.Tensors) > 0:
		return AttrTensors
	case len(p.Graphs) > 0:
		return AttrGraphs
	}
	return AttrUndefined
}

func (a *Attribute) proto() (*onnxpb.AttributeProto, error) {
	if a.opaque != nil {
		return a.opaque, nil
	}
	p := &onnxpb.AttributeProto{Name: ptr(a.Name), Type: ptr(onnxpb.AttributeProto_AttributeType(a.Type))}
	switch a.Type {
	case AttrFloat:
		p.F = ptr(a.Float)
	case AttrInt:
		p.I = ptr(a.Int)
	case AttrString:
		p.S = []byte(a.Str)
	case AttrTensor:
		if a.Tensor == nil {
			return nil, fmt.Errorf("attribute %q: TENSOR attribute without a tensor", a.Name)
		}
		t, err := a.Tensor.proto()
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
		p.T = t
	case AttrFloats:
		p.Floats = a.Floats
	case AttrInts:
		p.Ints = a.Ints
	case AttrStrings:
		for _, s := range a.Strs {
			p.Strings = append(p.Strings, []byte(s))
		}
	case AttrTensors:
		for _, t := range a.Tensors {
			tp, err := t.proto()
			if err != nil {
				return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
			}
			p.Tensors = append(p.Tensors, tp)
		}
	default:
		return nil, fmt.Errorf("attribute %q: cannot encode type %s", a.Name, a.Type)
	}
	return p, nil
}
