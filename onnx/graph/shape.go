package graph

import (
	"slices"

	"github.com/nnergy/nnergy/onnx"
)

func constantOp(c *Call) ([]*Value, error) {
	n := c.Node
	if len(n.Attrs) != 1 {
		return nil, c.Errorf("want exactly one value attribute, got %d", len(n.Attrs))
	}
	a := n.Attrs[0]
	switch {
	case a.Name == "value" && a.Type == onnx.AttrTensor:
		return []*Value{Const(a.Tensor)}, nil
	case a.Name == "value_float" && a.Type == onnx.AttrFloat:
		return []*Value{{Shape: []int64{}, Known: true, Floats: []float32{a.Float}}}, nil
	case a.Name == "value_floats" && a.Type == onnx.AttrFloats:
		return []*Value{{Shape: []int64{int64(len(a.Floats))}, Known: true, Floats: a.Floats}}, nil
	case a.Name == "value_int" && a.Type == onnx.AttrInt:
		return []*Value{{Shape: []int64{}, Known: true, Ints: []int64{a.Int}}}, nil
	case a.Name == "value_ints" && a.Type == onnx.AttrInts:
		return []*Value{{Shape: []int64{int64(len(a.Ints))}, Known: true, Ints: a.Ints}}, nil
	}
	return nil, c.Wrap(n.AttrErrorf(a.Name, "%s constants are not supported", a.Type))
}

func constantOfShape(c *Call) ([]*Value, error) {
	shape, err := c.Ints(0, "shape")
	if err != nil {
		return nil, err
	}
	if onnx.Numel(shape) < 0 {
		return nil, c.Errorf("invalid shape %v", shape)
	}
	fill := &Value{Shape: []int64{1}, Known: true, Floats: []float32{0}, Type: onnx.Float}
	t, err := c.Node.Tensor("value")
	if err != nil {
		return nil, c.Wrap(err)
	}
	if t != nil {
		if t.Len() != 1 {
			return nil, c.Wrap(c.Node.AttrErrorf("value", "want one element, got dimensions %v", t.Dims))
		}
		fill = Const(t)
		fill.Shape = []int64{1}
	}
	// The output has the type of the fill value, not of the shape.
	out := slices.Clone(shape)
	if onnx.Numel(out) > maxArith {
		return []*Value{{Shape: out, Type: fill.Type}}, nil
	}
	r := remap(fill, out, func([]int64) int64 { return 0 })
	r.Type = fill.Type
	return []*Value{r}, nil
}

func expand(c *Call) ([]*Value, error) {
	x := c.In[0]
	shape, err := c.Ints(1, "shape")
	if err != nil {
		return nil, err
	}
	out, err := Broadcast(x.Shape, shape)
	if err != nil {
		return nil, c.Errorf("shape %v does not broadcast with input shape %v", shape, x.Shape)
	}
	r := remap(x, out, broadcastAt(x.Shape, out))
	r.Batch = x.Batch && len(x.Shape) == len(out)
	return []*Value{r}, nil
}

func flatten(c *Call) ([]*Value, error) {
	x := c.In[0]
	a, err := c.Node.Int("axis", 1)
	if err != nil {
		return nil, c.Wrap(err)
	}
	r := int64(len(x.Shape))
	if a < -r || a > r {
		return nil, c.Wrap(c.Node.AttrErrorf("axis", "%d out of range for rank %d", a, r))
	}
	if a < 0 {
		a += r
	}
	out := reshaped(x, []int64{Prod(x.Shape[:a]), Prod(x.Shape[a:])})
	out.Batch = x.Batch && a == 1
	return []*Value{out}, nil
}

func gather(c *Call) ([]*Value, error) {
	x, ix := c.In[0], c.In[1]
	ax, err := c.AxisAttr("axis", 0, len(x.Shape))
	if err != nil {
		return nil, err
	}
	out := slices.Concat(x.Shape[:ax], ix.Shape, x.Shape[ax+1:])
	if !x.Known || !ix.Known || ix.Ints == nil {
		return []*Value{{Shape: out, Batch: x.Batch && ax > 0}}, nil
	}
	d := x.Shape[ax]
	for _, i := range ix.Ints {
		if i < -d || i >= d {
			return nil, c.Errorf("index %d out of range for dimension of size %d", i, d)
		}
	}
	st := RowStrides(x.Shape)
	q := len(ix.Shape)
	ist := RowStrides(ix.Shape)
	r := remap(x, out, func(idx []int64) int64 {
		var j, k int64
		for i := range q {
			k += idx[ax+i] * ist[i]
		}
		i := ix.Ints[k]
		if i < 0 {
			i += d
		}
		for t := range ax {
			j += idx[t] * st[t]
		}
		j += i * st[ax]
		for t := ax + 1; t < len(x.Shape); t++ {
			j += idx[t-1+q] * st[t]
		}
		return j
	})
	r.Batch = x.Batch && ax > 0
	return []*Value{r}, nil
}

func pad(c *Call) ([]*Value, error) {
	x := c.In[0]
	pads, err := c.IntsInputOrAttr(1, "pads")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	ax := make([]int, r)
	for i := range ax {
		ax[i] = i
	}
	if c.Arg(3) != nil { // opset 18: the axes the pads apply to
		as, err := c.Ints(3, "axes")
		if err != nil {
			return nil, err
		}
		if ax, err = Axes(as, r); err != nil {
			return nil, c.Errorf("%v", err)
		}
	}
	if len(pads) != 2*len(ax) {
		return nil, c.Errorf("pads %v: want %d values", pads, 2*len(ax))
	}
	out := slices.Clone(x.Shape)
	for i, a := range ax {
		out[a] += pads[i] + pads[len(ax)+i]
		if out[a] < 0 {
			return nil, c.Errorf("pads %v crop input of shape %v below zero", pads, x.Shape)
		}
	}
	return []*Value{{Shape: out, Batch: x.Batch && out[0] == x.Shape[0]}}, nil
}

func rangeOp(c *Call) ([]*Value, error) {
	var x [3]float64
	isFloat := false
	for i, what := range []string{"start", "limit", "delta"} {
		v := c.In[i]
		if !v.Known || onnx.Numel(v.Shape) != 1 {
			return nil, c.Errorf("%s (input %d) is not a constant scalar", what, i)
		}
		x[i] = AsFloats(v)[0]
		isFloat = isFloat || v.Floats != nil
	}
	if x[2] == 0 {
		return nil, c.Errorf("delta is 0")
	}
	n := int64(0)
	if q := (x[1] - x[0]) / x[2]; q > 0 {
		n = int64(q)
		if float64(n) < q {
			n++
		}
	}
	if n > maxArith {
		return []*Value{{Shape: []int64{n}}}, nil
	}
	r := &Value{Shape: []int64{n}, Known: true}
	for i := range n {
		v := x[0] + float64(i)*x[2]
		if isFloat {
			r.Floats = append(r.Floats, float32(v))
		} else {
			r.Ints = append(r.Ints, int64(v))
		}
	}
	if r.Floats == nil && r.Ints == nil {
		r.Ints = []int64{}
	}
	return []*Value{r}, nil
}

// reshapeOp infers Reshape with a constant target shape (see Reshape). When the model was
// exported at a fixed batch size B and is imported at another one, a target
// whose first entry is B is taken to mean the batch if the input's first
// dimension is the batch.
func reshapeOp(c *Call) ([]*Value, error) {
	x := c.In[0]
	target, err := c.Ints(1, "shape")
	if err != nil {
		return nil, err
	}
	allowZero, err := c.Node.Int("allowzero", 0)
	if err != nil {
		return nil, c.Wrap(err)
	}
	out := slices.Clone(target)
	batch := false
	if len(out) > 0 && x.Batch {
		switch {
		case out[0] == 0 && allowZero == 0:
			batch = true
		case c.w.OwnBatch > 0 && out[0] == c.w.OwnBatch:
			out[0] = x.Shape[0]
			batch = true
		case out[0] == x.Shape[0]:
			batch = true
		}
	}
	out, err = reshape(x.Shape, out, target, allowZero != 0)
	if err != nil {
		return nil, c.Errorf("%v", err)
	}
	r := reshaped(x, out)
	r.Batch = batch
	return []*Value{r}, nil
}

func shapeOp(c *Call) ([]*Value, error) {
	x := c.In[0]
	r := int64(len(x.Shape))
	start, err := c.Node.Int("start", 0)
	if err != nil {
		return nil, c.Wrap(err)
	}
	end, err := c.Node.Int("end", r)
	if err != nil {
		return nil, c.Wrap(err)
	}
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	start, end = clamp(start), clamp(end)
	s := slices.Clone(x.Shape[start:max(start, end)])
	return []*Value{{Shape: []int64{int64(len(s))}, Known: true, Ints: s, Type: onnx.Int64}}, nil
}

func size(c *Call) ([]*Value, error) {
	return []*Value{{Shape: []int64{}, Known: true, Ints: []int64{onnx.Numel(c.In[0].Shape)}, Type: onnx.Int64}}, nil
}

// scatterND imports ScatterND: data with the slices that indices [..., k]
// address replaced by (or, with reduction, combined with) updates. It folds
// when all three are known.
func scatterND(c *Call) ([]*Value, error) {
	data, ix, upd := c.In[0], c.In[1], c.In[2]
	red, err := c.Node.Str("reduction", "none")
	if err != nil {
		return nil, c.Wrap(err)
	}
	switch red {
	case "none", "add", "mul", "max", "min":
	default:
		return nil, c.Wrap(c.Node.AttrErrorf("reduction", "unknown value %q", red))
	}
	r, q := len(data.Shape), len(ix.Shape)
	if q == 0 {
		return nil, c.Errorf("indices are a scalar; want rank at least 1")
	}
	k := ix.Shape[q-1]
	if k < 1 || k > int64(r) {
		return nil, c.Errorf("indices of shape %v address %d dimensions of data of rank %d", ix.Shape, k, r)
	}
	want := slices.Concat(ix.Shape[:q-1], data.Shape[k:])
	if !slices.Equal(upd.Shape, want) {
		return nil, c.Errorf("updates have shape %v, want %v", upd.Shape, want)
	}
	out := &Value{Shape: slices.Clone(data.Shape), Batch: data.Batch}
	n := onnx.Numel(data.Shape)
	if !data.Known || !ix.Known || ix.Ints == nil || !upd.Known || n > maxMove || (data.Floats == nil) != (upd.Floats == nil) {
		return []*Value{out}, nil
	}
	st := RowStrides(data.Shape)
	block := Prod(data.Shape[k:])
	out.Known = true
	if data.Floats != nil {
		out.Floats = slices.Clone(data.Floats)
	} else {
		out.Ints = slices.Clone(data.Ints)
	}
	for i := range Prod(ix.Shape[:q-1]) {
		var off int64
		for j := range k {
			d := data.Shape[j]
			v := ix.Ints[i*k+j]
			if v < -d || v >= d {
				return nil, c.Errorf("index %d out of range for dimension %d of size %d", v, j, d)
			}
			if v < 0 {
				v += d
			}
			off += v * st[j]
		}
		for e := range block {
			if out.Floats != nil {
				out.Floats[off+e] = float32(reduce(red, float64(out.Floats[off+e]), float64(upd.Floats[i*block+e])))
			} else {
				out.Ints[off+e] = int64(reduce(red, float64(out.Ints[off+e]), float64(upd.Ints[i*block+e])))
			}
		}
	}
	return []*Value{out}, nil
}

// reduce combines an old and a new value as ScatterND's reduction says.
func reduce(red string, old, upd float64) float64 {
	switch red {
	case "add":
		return old + upd
	case "mul":
		return old * upd
	case "max":
		return max(old, upd)
	case "min":
		return min(old, upd)
	}
	return upd
}

// sliceOf returns the part of x between starts and ends (clamped as ONNX
// Slice does) with the given steps along axes ax.
func sliceOf(x *Value, ax []int, starts, ends, steps []int64) *Value {
	out := slices.Clone(x.Shape)
	first := make([]int64, len(x.Shape))
	step := make([]int64, len(x.Shape))
	for i := range step {
		step[i] = 1
	}
	for i, a := range ax {
		d, s, e, st := x.Shape[a], starts[i], ends[i], steps[i]
		if s < 0 {
			s += d
		}
		if e < 0 {
			e += d
		}
		if st > 0 {
			s, e = min(max(s, 0), d), min(max(e, 0), d)
			out[a] = max(0, (e-s+st-1)/st)
		} else {
			s, e = min(max(s, 0), d-1), min(max(e, -1), d-1)
			out[a] = max(0, (s-e-st-1)/-st)
		}
		first[a], step[a] = s, st
	}
	st := RowStrides(x.Shape)
	r := remap(x, out, func(idx []int64) int64 {
		var j int64
		for d := range idx {
			j += (first[d] + idx[d]*step[d]) * st[d]
		}
		return j
	})
	return r
}

func slice(c *Call) ([]*Value, error) {
	x := c.In[0]
	starts, ends, ax, steps, err := c.SliceArgs()
	if err != nil {
		return nil, err
	}
	r := sliceOf(x, ax, starts, ends, steps)
	r.Batch = x.Batch && r.Shape[0] == x.Shape[0]
	return []*Value{r}, nil
}

// SliceArgs reads the starts, ends, axes and steps of a Slice node: inputs
// from opset 10, attributes before. The axes (by default the first
// len(starts)) are normalized against the rank of input 0; the steps
// default to 1 and must not be 0.
func (c *Call) SliceArgs() (starts, ends []int64, axes []int, steps []int64, err error) {
	fail := func(err error) ([]int64, []int64, []int, []int64, error) { return nil, nil, nil, nil, err }
	var as []int64
	if len(c.In) > 1 { // opset 10: inputs
		if starts, err = c.Ints(1, "starts"); err != nil {
			return fail(err)
		}
		if ends, err = c.Ints(2, "ends"); err != nil {
			return fail(err)
		}
		if c.Arg(3) != nil {
			if as, err = c.Ints(3, "axes"); err != nil {
				return fail(err)
			}
		}
		if c.Arg(4) != nil {
			if steps, err = c.Ints(4, "steps"); err != nil {
				return fail(err)
			}
		}
	} else {
		if starts, err = c.Node.Ints("starts", -1, nil); err != nil {
			return fail(c.Wrap(err))
		}
		if ends, err = c.Node.Ints("ends", len(starts), nil); err != nil {
			return fail(c.Wrap(err))
		}
		if as, err = c.Node.Ints("axes", len(starts), nil); err != nil {
			return fail(c.Wrap(err))
		}
	}
	if as == nil {
		for i := range starts {
			as = append(as, int64(i))
		}
	}
	if steps == nil {
		for range starts {
			steps = append(steps, 1)
		}
	}
	if len(ends) != len(starts) || len(as) != len(starts) || len(steps) != len(starts) {
		return fail(c.Errorf("starts, ends, axes and steps differ in length"))
	}
	if axes, err = Axes(as, len(c.In[0].Shape)); err != nil {
		return fail(c.Errorf("%v", err))
	}
	if slices.Contains(steps, 0) {
		return fail(c.Errorf("a step is 0"))
	}
	return starts, ends, axes, steps, nil
}

func split(c *Call) ([]*Value, error) {
	x := c.In[0]
	ax, err := c.AxisAttr("axis", 0, len(x.Shape))
	if err != nil {
		return nil, err
	}
	sizes, err := c.IntsInputOrAttr(1, "split")
	if err != nil {
		return nil, err
	}
	d := x.Shape[ax]
	if sizes == nil {
		k, err := c.Node.Int("num_outputs", int64(len(c.Node.Outputs)))
		if err != nil {
			return nil, c.Wrap(err)
		}
		if k <= 0 {
			return nil, c.Errorf("no outputs")
		}
		part := (d + k - 1) / k
		for i := range k {
			sizes = append(sizes, max(0, min(part, d-i*part)))
		}
	}
	var sum int64
	for _, s := range sizes {
		if s < 0 {
			return nil, c.Errorf("negative split %v", sizes)
		}
		sum += s
	}
	if sum != d {
		return nil, c.Errorf("split %v does not add up to dimension %d of size %d", sizes, ax, d)
	}
	var outs []*Value
	var at int64
	for _, s := range sizes {
		r := sliceOf(x, []int{ax}, []int64{at}, []int64{at + s}, []int64{1})
		r.Batch = x.Batch && ax != 0
		outs = append(outs, r)
		at += s
	}
	return outs, nil
}

func squeeze(c *Call) ([]*Value, error) {
	x := c.In[0]
	as, err := c.IntsInputOrAttr(1, "axes")
	if err != nil {
		return nil, err
	}
	var ax []int
	if as == nil {
		for i, d := range x.Shape {
			if d == 1 {
				ax = append(ax, i)
			}
		}
	} else if ax, err = Axes(as, len(x.Shape)); err != nil {
		return nil, c.Errorf("%v", err)
	}
	out := []int64{}
	for i, d := range x.Shape {
		if !slices.Contains(ax, i) {
			out = append(out, d)
		} else if d != 1 {
			return nil, c.Errorf("cannot squeeze dimension %d of size %d", i, d)
		}
	}
	r := reshaped(x, out)
	r.Batch = x.Batch && !slices.Contains(ax, 0)
	return []*Value{r}, nil
}

func unsqueeze(c *Call) ([]*Value, error) {
	x := c.In[0]
	as, err := c.IntsInputOrAttr(1, "axes")
	if err != nil {
		return nil, err
	}
	ax, err := Axes(as, len(x.Shape)+len(as))
	if err != nil {
		return nil, c.Errorf("%v", err)
	}
	out := make([]int64, len(x.Shape)+len(ax))
	j := 0
	for i := range out {
		if slices.Contains(ax, i) {
			out[i] = 1
		} else {
			out[i] = x.Shape[j]
			j++
		}
	}
	r := reshaped(x, out)
	r.Batch = x.Batch && !slices.Contains(ax, 0)
	return []*Value{r}, nil
}

func tile(c *Call) ([]*Value, error) {
	x := c.In[0]
	reps, err := c.Ints(1, "repeats")
	if err != nil {
		return nil, err
	}
	if len(reps) != len(x.Shape) {
		return nil, c.Errorf("repeats %v do not match input rank %d", reps, len(x.Shape))
	}
	out := slices.Clone(x.Shape)
	for i, k := range reps {
		if k < 0 {
			return nil, c.Errorf("negative repeats %v", reps)
		}
		out[i] *= k
	}
	st := RowStrides(x.Shape)
	r := remap(x, out, func(idx []int64) int64 {
		var j int64
		for d := range idx {
			j += (idx[d] % x.Shape[d]) * st[d]
		}
		return j
	})
	r.Batch = x.Batch && reps[0] == 1
	return []*Value{r}, nil
}

func transpose(c *Call) ([]*Value, error) {
	x := c.In[0]
	r := len(x.Shape)
	def := make([]int64, r)
	for i := range def {
		def[i] = int64(r - 1 - i)
	}
	perm, err := c.Node.Ints("perm", r, def)
	if err != nil {
		return nil, c.Wrap(err)
	}
	p, err := Axes(perm, r)
	if err != nil || len(p) != r {
		return nil, c.Wrap(c.Node.AttrErrorf("perm", "%v is not a permutation of %d axes", perm, r))
	}
	out := make([]int64, r)
	for i, a := range p {
		out[i] = x.Shape[a]
	}
	st := RowStrides(x.Shape)
	v := remap(x, out, func(idx []int64) int64 {
		var j int64
		for i, a := range p {
			j += idx[i] * st[a]
		}
		return j
	})
	v.Batch = x.Batch && p[0] == 0
	return []*Value{v}, nil
}

func concat(c *Call) ([]*Value, error) {
	var in []*Value
	for _, v := range c.In {
		if v != nil {
			in = append(in, v)
		}
	}
	if len(in) == 0 {
		return nil, c.Errorf("no inputs")
	}
	if c.Node.Attr("axis") == nil {
		return nil, c.Errorf("attribute \"axis\" is missing")
	}
	r := len(in[0].Shape)
	ax, err := c.AxisAttr("axis", 0, r)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(in[0].Shape)
	out[ax] = 0
	known, floats, batch := true, in[0].Floats != nil, false
	for _, v := range in {
		if len(v.Shape) != r {
			return nil, c.Errorf("inputs have different ranks")
		}
		for i, d := range v.Shape {
			if i != ax && d != out[i] {
				return nil, c.Errorf("input shapes differ outside axis %d", ax)
			}
		}
		out[ax] += v.Shape[ax]
		known = known && v.Known && (v.Floats != nil) == floats
		batch = batch || v.Batch
	}
	res := &Value{Shape: out, Batch: batch && ax != 0}
	if n := onnx.Numel(out); !known || n < 0 || n > maxMove {
		return []*Value{res}, nil
	}
	res.Known = true
	outer := Prod(out[:ax])
	for o := range outer {
		for _, v := range in {
			blk := Prod(v.Shape[ax:])
			if floats {
				res.Floats = append(res.Floats, v.Floats[o*blk:(o+1)*blk]...)
			} else {
				res.Ints = append(res.Ints, v.Ints[o*blk:(o+1)*blk]...)
			}
		}
	}
	if floats && res.Floats == nil {
		res.Floats = []float32{}
	} else if !floats && res.Ints == nil {
		res.Ints = []int64{}
	}
	return []*Value{res}, nil
}
