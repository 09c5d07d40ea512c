package onnx

import (
	"slices"

	"github.com/nnergy/nnergy/onnx"
)

func (im *importer) constantOp(c *call) ([]*value, error) {
	n := c.n
	if len(n.Attrs) != 1 {
		return nil, im.errorf(n, "want exactly one value attribute, got %d", len(n.Attrs))
	}
	a := n.Attrs[0]
	switch {
	case a.Name == "value" && a.Type == onnx.AttrTensor:
		return []*value{constant(a.Tensor)}, nil
	case a.Name == "value_float" && a.Type == onnx.AttrFloat:
		return []*value{{shape: []int64{}, known: true, floats: []float32{a.Float}}}, nil
	case a.Name == "value_floats" && a.Type == onnx.AttrFloats:
		return []*value{{shape: []int64{int64(len(a.Floats))}, known: true, floats: a.Floats}}, nil
	case a.Name == "value_int" && a.Type == onnx.AttrInt:
		return []*value{{shape: []int64{}, known: true, ints: []int64{a.Int}}}, nil
	case a.Name == "value_ints" && a.Type == onnx.AttrInts:
		return []*value{{shape: []int64{int64(len(a.Ints))}, known: true, ints: a.Ints}}, nil
	}
	return nil, im.wrap(n.AttrErrorf(a.Name, "%s constants are not supported", a.Type))
}

func (im *importer) constantOfShape(c *call) ([]*value, error) {
	shape, err := im.ints(c, 0, "shape")
	if err != nil {
		return nil, err
	}
	if onnx.Numel(shape) < 0 {
		return nil, im.errorf(c.n, "invalid shape %v", shape)
	}
	fill := &value{shape: []int64{1}, known: true, floats: []float32{0}}
	t, err := c.n.Tensor("value")
	if err != nil {
		return nil, im.wrap(err)
	}
	if t != nil {
		if t.Len() != 1 {
			return nil, im.wrap(c.n.AttrErrorf("value", "want one element, got dimensions %v", t.Dims))
		}
		fill = constant(t)
		fill.shape = []int64{1}
	}
	out := slices.Clone(shape)
	if onnx.Numel(out) > maxArith {
		return []*value{{shape: out}}, nil
	}
	return []*value{remap(fill, out, func([]int64) int64 { return 0 })}, nil
}

func (im *importer) expand(c *call) ([]*value, error) {
	x := c.in[0]
	shape, err := im.ints(c, 1, "shape")
	if err != nil {
		return nil, err
	}
	out, err := broadcast(x.shape, shape)
	if err != nil {
		return nil, im.errorf(c.n, "shape %v does not broadcast with input shape %v", shape, x.shape)
	}
	r := remap(x, out, broadcastAt(x.shape, out))
	r.batch = x.batch && len(x.shape) == len(out)
	return []*value{r}, nil
}

func (im *importer) flatten(c *call) ([]*value, error) {
	x := c.in[0]
	a, err := c.n.Int("axis", 1)
	if err != nil {
		return nil, im.wrap(err)
	}
	r := int64(len(x.shape))
	if a < -r || a > r {
		return nil, im.wrap(c.n.AttrErrorf("axis", "%d out of range for rank %d", a, r))
	}
	if a < 0 {
		a += r
	}
	out := reshaped(x, []int64{prod(x.shape[:a]), prod(x.shape[a:])})
	out.batch = x.batch && a == 1
	return []*value{out}, nil
}

func (im *importer) gather(c *call) ([]*value, error) {
	x, ix := c.in[0], c.in[1]
	a, err := c.n.Int("axis", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	ax, err := axis(a, len(x.shape))
	if err != nil {
		return nil, im.wrap(c.n.AttrErrorf("axis", "%v", err))
	}
	out := slices.Concat(x.shape[:ax], ix.shape, x.shape[ax+1:])
	if !x.known || !ix.known || ix.ints == nil {
		return []*value{{shape: out, batch: x.batch && ax > 0}}, nil
	}
	d := x.shape[ax]
	for _, i := range ix.ints {
		if i < -d || i >= d {
			return nil, im.errorf(c.n, "index %d out of range for dimension of size %d", i, d)
		}
	}
	st := rowStrides(x.shape)
	q := len(ix.shape)
	ist := rowStrides(ix.shape)
	r := remap(x, out, func(idx []int64) int64 {
		var j, k int64
		for i := range q {
			k += idx[ax+i] * ist[i]
		}
		i := ix.ints[k]
		if i < 0 {
			i += d
		}
		for t := range ax {
			j += idx[t] * st[t]
		}
		j += i * st[ax]
		for t := ax + 1; t < len(x.shape); t++ {
			j += idx[t-1+q] * st[t]
		}
		return j
	})
	r.batch = x.batch && ax > 0
	return []*value{r}, nil
}

func (im *importer) pad(c *call) ([]*value, error) {
	x := c.in[0]
	pads, err := im.intsInputOrAttr(c, 1, "pads")
	if err != nil {
		return nil, err
	}
	r := len(x.shape)
	ax := make([]int, r)
	for i := range ax {
		ax[i] = i
	}
	if c.arg(3) != nil { // opset 18: the axes the pads apply to
		as, err := im.ints(c, 3, "axes")
		if err != nil {
			return nil, err
		}
		if ax, err = axes(as, r); err != nil {
			return nil, im.errorf(c.n, "%v", err)
		}
	}
	if len(pads) != 2*len(ax) {
		return nil, im.errorf(c.n, "pads %v: want %d values", pads, 2*len(ax))
	}
	out := slices.Clone(x.shape)
	for i, a := range ax {
		out[a] += pads[i] + pads[len(ax)+i]
		if out[a] < 0 {
			return nil, im.errorf(c.n, "pads %v crop input of shape %v below zero", pads, x.shape)
		}
	}
	return []*value{{shape: out, batch: x.batch && out[0] == x.shape[0]}}, nil
}

func (im *importer) rangeOp(c *call) ([]*value, error) {
	var x [3]float64
	isFloat := false
	for i, what := range []string{"start", "limit", "delta"} {
		v := c.in[i]
		if !v.known || onnx.Numel(v.shape) != 1 {
			return nil, im.errorf(c.n, "%s (input %d) is not a constant scalar", what, i)
		}
		x[i] = asFloats(v)[0]
		isFloat = isFloat || v.floats != nil
	}
	if x[2] == 0 {
		return nil, im.errorf(c.n, "delta is 0")
	}
	n := int64(0)
	if q := (x[1] - x[0]) / x[2]; q > 0 {
		n = int64(q)
		if float64(n) < q {
			n++
		}
	}
	if n > maxArith {
		return []*value{{shape: []int64{n}}}, nil
	}
	r := &value{shape: []int64{n}, known: true}
	for i := range n {
		v := x[0] + float64(i)*x[2]
		if isFloat {
			r.floats = append(r.floats, float32(v))
		} else {
			r.ints = append(r.ints, int64(v))
		}
	}
	if r.floats == nil && r.ints == nil {
		r.ints = []int64{}
	}
	return []*value{r}, nil
}

// reshape imports Reshape with a constant target shape (0 copies a
// dimension unless allowzero is set, -1 is inferred). When the model was
// exported at a fixed batch size B and is imported at another one, a target
// whose first entry is B is taken to mean the batch if the input's first
// dimension is the batch.
func (im *importer) reshape(c *call) ([]*value, error) {
	x := c.in[0]
	target, err := im.ints(c, 1, "shape")
	if err != nil {
		return nil, err
	}
	allowZero, err := c.n.Int("allowzero", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	out := slices.Clone(target)
	batch := false
	if len(out) > 0 && x.batch {
		switch {
		case out[0] == 0 && allowZero == 0:
			batch = true
		case im.origBatch > 0 && out[0] == im.origBatch:
			out[0] = x.shape[0]
			batch = true
		case out[0] == x.shape[0]:
			batch = true
		}
	}
	infer := -1
	known := int64(1)
	for i, d := range out {
		switch {
		case d == 0 && allowZero == 0:
			if i >= len(x.shape) {
				return nil, im.errorf(c.n, "shape %v copies dimension %d of input shape %v, which has none", target, i, x.shape)
			}
			out[i] = x.shape[i]
		case d == -1:
			if infer >= 0 {
				return nil, im.errorf(c.n, "shape %v has more than one -1", target)
			}
			infer = i
			continue
		case d < 0:
			return nil, im.errorf(c.n, "shape %v has a negative dimension", target)
		}
		known *= out[i]
	}
	total := onnx.Numel(x.shape)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, im.errorf(c.n, "cannot reshape input of shape %v to %v", x.shape, target)
		}
		out[infer] = total / known
	}
	if onnx.Numel(out) != total {
		return nil, im.errorf(c.n, "cannot reshape input of shape %v (%d elements) to %v", x.shape, total, target)
	}
	r := reshaped(x, out)
	r.batch = batch
	return []*value{r}, nil
}

func (im *importer) shapeOp(c *call) ([]*value, error) {
	x := c.in[0]
	r := int64(len(x.shape))
	start, err := c.n.Int("start", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	end, err := c.n.Int("end", r)
	if err != nil {
		return nil, im.wrap(err)
	}
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	start, end = clamp(start), clamp(end)
	s := slices.Clone(x.shape[start:max(start, end)])
	return []*value{{shape: []int64{int64(len(s))}, known: true, ints: s, dtype: onnx.Int64}}, nil
}

func (im *importer) size(c *call) ([]*value, error) {
	return []*value{{shape: []int64{}, known: true, ints: []int64{onnx.Numel(c.in[0].shape)}, dtype: onnx.Int64}}, nil
}

// scatterND imports ScatterND: data with the slices that indices [..., k]
// address replaced by (or, with reduction, combined with) updates. It folds
// when all three are known.
func (im *importer) scatterND(c *call) ([]*value, error) {
	data, ix, upd := c.in[0], c.in[1], c.in[2]
	red, err := c.n.Str("reduction", "none")
	if err != nil {
		return nil, im.wrap(err)
	}
	switch red {
	case "none", "add", "mul", "max", "min":
	default:
		return nil, im.wrap(c.n.AttrErrorf("reduction", "unknown value %q", red))
	}
	r, q := len(data.shape), len(ix.shape)
	if q == 0 {
		return nil, im.errorf(c.n, "indices are a scalar; want rank at least 1")
	}
	k := ix.shape[q-1]
	if k < 1 || k > int64(r) {
		return nil, im.errorf(c.n, "indices of shape %v address %d dimensions of data of rank %d", ix.shape, k, r)
	}
	want := slices.Concat(ix.shape[:q-1], data.shape[k:])
	if !slices.Equal(upd.shape, want) {
		return nil, im.errorf(c.n, "updates have shape %v, want %v", upd.shape, want)
	}
	out := &value{shape: slices.Clone(data.shape), batch: data.batch}
	n := onnx.Numel(data.shape)
	if !data.known || !ix.known || ix.ints == nil || !upd.known || n > maxMove || (data.floats == nil) != (upd.floats == nil) {
		return []*value{out}, nil
	}
	st := rowStrides(data.shape)
	block := prod(data.shape[k:])
	out.known = true
	if data.floats != nil {
		out.floats = slices.Clone(data.floats)
	} else {
		out.ints = slices.Clone(data.ints)
	}
	for i := range prod(ix.shape[:q-1]) {
		var off int64
		for j := range k {
			d := data.shape[j]
			v := ix.ints[i*k+j]
			if v < -d || v >= d {
				return nil, im.errorf(c.n, "index %d out of range for dimension %d of size %d", v, j, d)
			}
			if v < 0 {
				v += d
			}
			off += v * st[j]
		}
		for e := range block {
			if out.floats != nil {
				out.floats[off+e] = float32(reduce(red, float64(out.floats[off+e]), float64(upd.floats[i*block+e])))
			} else {
				out.ints[off+e] = int64(reduce(red, float64(out.ints[off+e]), float64(upd.ints[i*block+e])))
			}
		}
	}
	return []*value{out}, nil
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
func sliceOf(x *value, ax []int, starts, ends, steps []int64) *value {
	out := slices.Clone(x.shape)
	first := make([]int64, len(x.shape))
	step := make([]int64, len(x.shape))
	for i := range step {
		step[i] = 1
	}
	for i, a := range ax {
		d, s, e, st := x.shape[a], starts[i], ends[i], steps[i]
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
	st := rowStrides(x.shape)
	r := remap(x, out, func(idx []int64) int64 {
		var j int64
		for d := range idx {
			j += (first[d] + idx[d]*step[d]) * st[d]
		}
		return j
	})
	return r
}

func (im *importer) slice(c *call) ([]*value, error) {
	x := c.in[0]
	var starts, ends, as, steps []int64
	var err error
	if len(c.in) > 1 { // opset 10: inputs
		if starts, err = im.ints(c, 1, "starts"); err != nil {
			return nil, err
		}
		if ends, err = im.ints(c, 2, "ends"); err != nil {
			return nil, err
		}
		if c.arg(3) != nil {
			if as, err = im.ints(c, 3, "axes"); err != nil {
				return nil, err
			}
		}
		if c.arg(4) != nil {
			if steps, err = im.ints(c, 4, "steps"); err != nil {
				return nil, err
			}
		}
	} else {
		if starts, err = c.n.Ints("starts", -1, nil); err != nil {
			return nil, im.wrap(err)
		}
		if ends, err = c.n.Ints("ends", len(starts), nil); err != nil {
			return nil, im.wrap(err)
		}
		if as, err = c.n.Ints("axes", len(starts), nil); err != nil {
			return nil, im.wrap(err)
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
		return nil, im.errorf(c.n, "starts, ends, axes and steps differ in length")
	}
	ax, err := axes(as, len(x.shape))
	if err != nil {
		return nil, im.errorf(c.n, "%v", err)
	}
	if slices.Contains(steps, 0) {
		return nil, im.errorf(c.n, "a step is 0")
	}
	r := sliceOf(x, ax, starts, ends, steps)
	r.batch = x.batch && r.shape[0] == x.shape[0]
	return []*value{r}, nil
}

func (im *importer) split(c *call) ([]*value, error) {
	x := c.in[0]
	a, err := c.n.Int("axis", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	ax, err := axis(a, len(x.shape))
	if err != nil {
		return nil, im.wrap(c.n.AttrErrorf("axis", "%v", err))
	}
	sizes, err := im.intsInputOrAttr(c, 1, "split")
	if err != nil {
		return nil, err
	}
	d := x.shape[ax]
	if sizes == nil {
		k, err := c.n.Int("num_outputs", int64(len(c.n.Outputs)))
		if err != nil {
			return nil, im.wrap(err)
		}
		if k <= 0 {
			return nil, im.errorf(c.n, "no outputs")
		}
		part := (d + k - 1) / k
		for i := range k {
			sizes = append(sizes, max(0, min(part, d-i*part)))
		}
	}
	var sum int64
	for _, s := range sizes {
		if s < 0 {
			return nil, im.errorf(c.n, "negative split %v", sizes)
		}
		sum += s
	}
	if sum != d {
		return nil, im.errorf(c.n, "split %v does not add up to dimension %d of size %d", sizes, ax, d)
	}
	var outs []*value
	var at int64
	for _, s := range sizes {
		r := sliceOf(x, []int{ax}, []int64{at}, []int64{at + s}, []int64{1})
		r.batch = x.batch && ax != 0
		outs = append(outs, r)
		at += s
	}
	return outs, nil
}

func (im *importer) squeeze(c *call) ([]*value, error) {
	x := c.in[0]
	as, err := im.intsInputOrAttr(c, 1, "axes")
	if err != nil {
		return nil, err
	}
	var ax []int
	if as == nil {
		for i, d := range x.shape {
			if d == 1 {
				ax = append(ax, i)
			}
		}
	} else if ax, err = axes(as, len(x.shape)); err != nil {
		return nil, im.errorf(c.n, "%v", err)
	}
	out := []int64{}
	for i, d := range x.shape {
		if !slices.Contains(ax, i) {
			out = append(out, d)
		} else if d != 1 {
			return nil, im.errorf(c.n, "cannot squeeze dimension %d of size %d", i, d)
		}
	}
	r := reshaped(x, out)
	r.batch = x.batch && !slices.Contains(ax, 0)
	return []*value{r}, nil
}

func (im *importer) unsqueeze(c *call) ([]*value, error) {
	x := c.in[0]
	as, err := im.intsInputOrAttr(c, 1, "axes")
	if err != nil {
		return nil, err
	}
	ax, err := axes(as, len(x.shape)+len(as))
	if err != nil {
		return nil, im.errorf(c.n, "%v", err)
	}
	out := make([]int64, len(x.shape)+len(ax))
	j := 0
	for i := range out {
		if slices.Contains(ax, i) {
			out[i] = 1
		} else {
			out[i] = x.shape[j]
			j++
		}
	}
	r := reshaped(x, out)
	r.batch = x.batch && !slices.Contains(ax, 0)
	return []*value{r}, nil
}

func (im *importer) tile(c *call) ([]*value, error) {
	x := c.in[0]
	reps, err := im.ints(c, 1, "repeats")
	if err != nil {
		return nil, err
	}
	if len(reps) != len(x.shape) {
		return nil, im.errorf(c.n, "repeats %v do not match input rank %d", reps, len(x.shape))
	}
	out := slices.Clone(x.shape)
	for i, k := range reps {
		if k < 0 {
			return nil, im.errorf(c.n, "negative repeats %v", reps)
		}
		out[i] *= k
	}
	st := rowStrides(x.shape)
	r := remap(x, out, func(idx []int64) int64 {
		var j int64
		for d := range idx {
			j += (idx[d] % x.shape[d]) * st[d]
		}
		return j
	})
	r.batch = x.batch && reps[0] == 1
	return []*value{r}, nil
}

func (im *importer) transpose(c *call) ([]*value, error) {
	x := c.in[0]
	r := len(x.shape)
	def := make([]int64, r)
	for i := range def {
		def[i] = int64(r - 1 - i)
	}
	perm, err := c.n.Ints("perm", r, def)
	if err != nil {
		return nil, im.wrap(err)
	}
	p, err := axes(perm, r)
	if err != nil || len(p) != r {
		return nil, im.wrap(c.n.AttrErrorf("perm", "%v is not a permutation of %d axes", perm, r))
	}
	out := make([]int64, r)
	for i, a := range p {
		out[i] = x.shape[a]
	}
	st := rowStrides(x.shape)
	v := remap(x, out, func(idx []int64) int64 {
		var j int64
		for i, a := range p {
			j += idx[i] * st[a]
		}
		return j
	})
	v.batch = x.batch && p[0] == 0
	return []*value{v}, nil
}

func (im *importer) concat(c *call) ([]*value, error) {
	var in []*value
	for _, v := range c.in {
		if v != nil {
			in = append(in, v)
		}
	}
	if len(in) == 0 {
		return nil, im.errorf(c.n, "no inputs")
	}
	a, err := c.n.Int("axis", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	if c.n.Attr("axis") == nil {
		return nil, im.errorf(c.n, "attribute \"axis\" is missing")
	}
	r := len(in[0].shape)
	ax, err := axis(a, r)
	if err != nil {
		return nil, im.wrap(c.n.AttrErrorf("axis", "%v", err))
	}
	out := slices.Clone(in[0].shape)
	out[ax] = 0
	known, floats, batch := true, in[0].floats != nil, false
	for _, v := range in {
		if len(v.shape) != r {
			return nil, im.errorf(c.n, "inputs have different ranks")
		}
		for i, d := range v.shape {
			if i != ax && d != out[i] {
				return nil, im.errorf(c.n, "input shapes differ outside axis %d", ax)
			}
		}
		out[ax] += v.shape[ax]
		known = known && v.known && (v.floats != nil) == floats
		batch = batch || v.batch
	}
	res := &value{shape: out, batch: batch && ax != 0}
	if n := onnx.Numel(out); !known || n < 0 || n > maxMove {
		return []*value{res}, nil
	}
	res.known = true
	outer := prod(out[:ax])
	for o := range outer {
		for _, v := range in {
			blk := prod(v.shape[ax:])
			if floats {
				res.floats = append(res.floats, v.floats[o*blk:(o+1)*blk]...)
			} else {
				res.ints = append(res.ints, v.ints[o*blk:(o+1)*blk]...)
			}
		}
	}
	if floats && res.floats == nil {
		res.floats = []float32{}
	} else if !floats && res.ints == nil {
		res.ints = []int64{}
	}
	return []*value{res}, nil
}
