package onnx

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// einsumSupported describes the equations einsum accepts, for messages.
const einsumSupported = "supported: two operands, each letter once per operand, every letter either " +
	"in both operands and the output (batch), in both operands only (summed), or in one operand and the output " +
	"(rows of the first, columns of the second), with \"...\" for broadcast batch dimensions"

// einsum imports Einsum of two operands as the batched matrix product it
// is: "bhid,bhjd->bhij" (attention scores), "bij,bjk->bik", "ij,jk->ik",
// "bsd,df->bsf" (a linear layer), and their transpositions. Letters in
// both operands and the output are batch dimensions, letters in both
// operands only are summed (C), letters of the first operand and the
// output are rows (P, or N where only the first operand varies), letters
// of the second operand and the output are columns (M). The layer is built
// as the equivalent MatMul's; other equations are refused with a message
// naming the equation.
func (im *importer) einsum(c *call) ([]*value, error) {
	eq, err := c.Node.Str("equation", "")
	if err != nil {
		return nil, im.wrap(err)
	}
	if c.Node.Attr("equation") == nil {
		return nil, im.errorf(c.Node, "attribute \"equation\" is missing")
	}
	refuse := func(why string, args ...any) error {
		return im.errorf(c.Node, "equation %q is not supported: %s (%s)", eq, fmt.Sprintf(why, args...), einsumSupported)
	}
	var operands []*value
	for _, v := range c.In {
		if v != nil {
			operands = append(operands, v)
		}
	}
	if len(operands) != 2 {
		return nil, refuse("it has %d operands", len(operands))
	}
	terms, out, err := parseEinsum(eq, [][]int64{operands[0].Shape, operands[1].Shape})
	if err != nil {
		return nil, refuse("%v", err)
	}
	size := map[rune]int64{}
	for k, t := range terms {
		for i, r := range t {
			d := operands[k].Shape[i]
			switch s, ok := size[r]; {
			case !ok || s == 1:
				size[r] = d
			case d != 1 && d != s:
				return nil, refuse("%s has size %d in one operand and %d in the other", letter(r), s, d)
			}
		}
	}
	a, b := terms[0], terms[1]
	var batch, sum, rows, cols []rune
	for _, r := range a {
		switch inB, inOut := slices.Contains(b, r), slices.Contains(out, r); {
		case inB && inOut:
			batch = append(batch, r)
		case inB:
			sum = append(sum, r)
		case inOut:
			rows = append(rows, r)
		default:
			return nil, refuse("%s is summed over the first operand alone", letter(r))
		}
	}
	for _, r := range b {
		switch inA, inOut := slices.Contains(a, r), slices.Contains(out, r); {
		case !inA && inOut:
			cols = append(cols, r)
		case !inA:
			return nil, refuse("%s is summed over the second operand alone", letter(r))
		}
	}
	// The equivalent MatMul operands: A [batch..., rows..., (1 per leading
	// column)..., last row, K], B [batch..., (1 per leading row)...,
	// leading columns..., K, last column], as numpy broadcasting lines
	// them up; a constant operand without batch dimensions stays a matrix
	// so that it is the layer's weights.
	dimOf := func(op int, r rune) int64 {
		if i := slices.Index(terms[op], r); i >= 0 {
			return operands[op].Shape[i]
		}
		return 1
	}
	k := int64(1)
	for _, r := range sum {
		k *= size[r]
	}
	lastRow, lastCol := int64(1), int64(1)
	if len(rows) > 0 {
		lastRow = size[rows[len(rows)-1]]
		rows = rows[:len(rows)-1]
	}
	if len(cols) > 0 {
		lastCol = size[cols[len(cols)-1]]
		cols = cols[:len(cols)-1]
	}
	var as, bs []int64
	for _, r := range batch {
		as = append(as, dimOf(0, r))
		bs = append(bs, dimOf(1, r))
	}
	aMatrix := len(batch) == 0 && len(rows) == 0 && operands[0].Known
	bMatrix := len(batch) == 0 && len(cols) == 0 && operands[1].Known
	for _, r := range rows {
		as = append(as, size[r])
		if !bMatrix {
			bs = append(bs, 1)
		}
	}
	for _, r := range cols {
		if !aMatrix {
			as = append(as, 1)
		}
		bs = append(bs, size[r])
	}
	as = append(as, lastRow, k)
	bs = append(bs, k, lastCol)
	l, weights, _, err := im.productLayer(c, operands[0], operands[1], as, bs)
	if err != nil {
		return nil, err
	}
	shape := make([]int64, len(out))
	for i, r := range out {
		shape[i] = size[r]
	}
	isBatch := operands[0].Batch && len(a) > 0 && len(out) > 0 && out[0] == a[0]
	return []*value{im.addLayer(c, l, weights, shape, isBatch)}, nil
}

// letter names an equation letter, or a dimension of "...", in messages.
func letter(r rune) string {
	if r >= ellipsisBase {
		return "a dimension of \"...\""
	}
	return fmt.Sprintf("letter %q", r)
}

// ellipsisBase is the first of the runes that stand for the dimensions of
// "..." (never a letter of an equation).
const ellipsisBase = 0x10000

// parseEinsum splits an equation into the terms of its operands and its
// output, each a list of letters, "..." expanded into as many runes from
// ellipsisBase on as the operand's rank leaves, aligned to the right
// across operands as numpy broadcasting aligns them. Without "->", the
// output is the letters that appear once, in alphabetical order, after
// the "..." dimensions.
func parseEinsum(eq string, shapes [][]int64) ([][]rune, []rune, error) {
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	parts := strings.Split(lhs, ",")
	if len(parts) != len(shapes) {
		return nil, nil, fmt.Errorf("it names %d operands, the node has %d", len(parts), len(shapes))
	}
	ell := 0 // rank of "..."
	terms := make([][]rune, len(parts))
	hasEll := make([]bool, len(parts))
	for i, p := range parts {
		letters := strings.Replace(p, "...", "", 1)
		hasEll[i] = len(letters) != len(p)
		for _, r := range letters {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return nil, nil, fmt.Errorf("term %q has a character %q that is not a letter", p, r)
			}
		}
		n := len(shapes[i]) - len(letters)
		if n < 0 || (!hasEll[i] && n != 0) {
			return nil, nil, fmt.Errorf("term %q does not match operand %d of rank %d", p, i, len(shapes[i]))
		}
		ell = max(ell, n)
	}
	expand := func(p string, n int) []rune {
		var t []rune
		before, after, found := strings.Cut(p, "...")
		t = append(t, []rune(before)...)
		if found {
			for j := ell - n; j < ell; j++ {
				t = append(t, rune(ellipsisBase+j))
			}
			t = append(t, []rune(after)...)
		}
		return t
	}
	count := map[rune]int{}
	for i, p := range parts {
		letters := strings.Replace(p, "...", "", 1)
		terms[i] = expand(p, len(shapes[i])-len(letters))
		for j, r := range terms[i] {
			if slices.Contains(terms[i][:j], r) {
				return nil, nil, fmt.Errorf("%s repeats in term %q (a diagonal)", letter(r), p)
			}
			count[r]++
		}
	}
	var out []rune
	if explicit {
		if strings.Contains(rhs, "...") {
			for j := range ell {
				out = append(out, rune(ellipsisBase+j))
			}
			before, after, _ := strings.Cut(rhs, "...")
			out = slices.Concat([]rune(before), out, []rune(after))
		} else {
			out = []rune(rhs)
			if ell > 0 {
				return nil, nil, fmt.Errorf("the output drops the \"...\" dimensions")
			}
		}
		for j, r := range out {
			if count[r] == 0 {
				return nil, nil, fmt.Errorf("output %s is in no operand", letter(r))
			}
			if slices.Contains(out[:j], r) {
				return nil, nil, fmt.Errorf("output %s repeats", letter(r))
			}
		}
	} else {
		for j := range ell {
			out = append(out, rune(ellipsisBase+j))
		}
		var once []rune
		for r, n := range count {
			if n == 1 && r < ellipsisBase {
				once = append(once, r)
			}
		}
		sort.Slice(once, func(i, j int) bool { return once[i] < once[j] })
		out = append(out, once...)
	}
	return terms, out, nil
}
