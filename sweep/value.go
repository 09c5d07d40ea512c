package sweep

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/internal/yamlspec"
)

// Value is one value of a parameter or derived value.
type Value struct {
	// Text is the value as labels, IDs and reports write it: 16, 0.5, rs,
	// [Weights, Inputs].
	Text string
	// Num is the value of a number (IsNum).
	Num   float64
	IsNum bool
	node  *yaml.Node
}

// nodeValue checks a value as written in the file against the kind of its
// key (or, for a variable, a number or a string).
func nodeValue(n *yaml.Node, k kind, variable bool, mapperKey string) (Value, string) {
	if variable {
		if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
			k = kindNumber
		} else {
			k = kindString
		}
	}
	scalar := n.Kind == yaml.ScalarNode
	switch k {
	case kindInt, kindNumber:
		var f float64
		tag := n.ShortTag()
		if !scalar || (tag != "!!int" && (k == kindInt || tag != "!!float")) || n.Decode(&f) != nil {
			return Value{}, fmt.Sprintf("want %s, got %s", k, yamlspec.Describe(n))
		}
		return numValue(f, k)
	case kindBool:
		var b bool
		if !scalar || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			return Value{}, fmt.Sprintf("want true or false, got %s", yamlspec.Describe(n))
		}
		return Value{Text: strconv.FormatBool(b), node: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}}, ""
	case kindString, kindMapper:
		if !scalar {
			return Value{}, fmt.Sprintf("want a string, got %s", yamlspec.Describe(n))
		}
		if k == kindMapper {
			var m Mapper
			if msg := setMapper(&m, mapperKey, n.Value); msg != "" {
				return Value{}, msg
			}
			if mapperKey == "max_evaluations" {
				return Value{Text: n.Value, Num: float64(m.Search.MaxEvaluations), IsNum: true}, ""
			}
		}
		return Value{Text: n.Value, node: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: n.Value}}, ""
	case kindTensors:
		if n.Kind != yaml.SequenceNode {
			return Value{}, fmt.Sprintf("want a list of tensors (Weights, Inputs, Outputs), got %s", yamlspec.Describe(n))
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		var names []string
		for _, c := range n.Content {
			if _, ok := tensorByName(c.Value); c.Kind != yaml.ScalarNode || !ok {
				return Value{}, fmt.Sprintf("unknown tensor %s (want Weights, Inputs or Outputs)", yamlspec.Describe(c))
			}
			if slices.Contains(names, c.Value) {
				return Value{}, fmt.Sprintf("%s listed twice", c.Value)
			}
			names = append(names, c.Value)
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: c.Value})
		}
		return Value{Text: "[" + strings.Join(names, ", ") + "]", node: seq}, ""
	case kindPair:
		var xy [2]int64
		if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
			return Value{}, fmt.Sprintf("want a pair [x, y] of integers, got %s", yamlspec.Describe(n))
		}
		for i, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.ShortTag() != "!!int" || c.Decode(&xy[i]) != nil {
				return Value{}, fmt.Sprintf("want a pair [x, y] of integers, got %s in it", yamlspec.Describe(c))
			}
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: []*yaml.Node{intNode(xy[0]), intNode(xy[1])}}
		return Value{Text: fmt.Sprintf("[%d, %d]", xy[0], xy[1]), node: seq}, ""
	}
	return Value{}, fmt.Sprintf("cannot set %s", k)
}

// numValue returns the number f as a value of kind k (an integer kind
// needs a whole number).
func numValue(f float64, k kind) (Value, string) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Value{}, fmt.Sprintf("want a finite number, got %g", f)
	}
	if k == kindInt {
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return Value{}, fmt.Sprintf("want an integer, got %s", strconv.FormatFloat(f, 'f', -1, 64))
		}
		t := strconv.FormatInt(int64(f), 10)
		return Value{Text: t, Num: f, IsNum: true, node: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: t}}, ""
	}
	t := strconv.FormatFloat(f, 'f', -1, 64)
	tag := "!!float"
	if f == math.Trunc(f) {
		tag = "!!int"
	}
	return Value{Text: t, Num: f, IsNum: true, node: &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t}}, ""
}

// rangeValues expands a range: from, from+step, ... up to to, or from,
// from·factor, ... up to to.
func rangeValues(r *rangeYAML, k kind) ([]Value, string) {
	if !k.numeric() {
		return nil, fmt.Sprintf("a range gives numbers; the key takes %s", k)
	}
	switch {
	case r.From == nil || r.To == nil:
		return nil, "needs from and to"
	case (r.Step == nil) == (r.Factor == nil):
		return nil, "needs step or factor (one of them)"
	case *r.To < *r.From:
		return nil, fmt.Sprintf("to (%g) is below from (%g)", *r.To, *r.From)
	case r.Step != nil && *r.Step <= 0:
		return nil, fmt.Sprintf("step must be positive, got %g", *r.Step)
	case r.Factor != nil && *r.Factor <= 1:
		return nil, fmt.Sprintf("factor must be more than 1, got %g", *r.Factor)
	case r.Factor != nil && *r.From <= 0:
		return nil, fmt.Sprintf("a range by factor starts from a positive number, got %g", *r.From)
	}
	var out []Value
	// A relative tolerance keeps float steps from missing to.
	limit := *r.To + 1e-9*math.Max(1, math.Abs(*r.To))
	for i := 0; ; i++ {
		var x float64
		if r.Step != nil {
			x = *r.From + float64(i)*(*r.Step)
			// 0.1 + 2 × 0.1 is 0.30000000000000004: keep 12 digits.
			x, _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
		} else {
			x = *r.From * math.Pow(*r.Factor, float64(i))
			if rx := math.Round(x); math.Abs(x-rx) <= 1e-9*math.Abs(x) {
				x = rx
			}
		}
		if x > limit {
			break
		}
		if len(out) == maxRange {
			return nil, fmt.Sprintf("more than %d values", maxRange)
		}
		val, msg := numValue(x, k)
		if msg != "" {
			return nil, fmt.Sprintf("value %d: %s", i, msg)
		}
		out = append(out, val)
	}
	return out, ""
}
