#!/usr/bin/python3
"""make.py [--small] DIR: export a corpus of real ONNX files from PyTorch and
torchvision, each with an independent count of its MACs, for nnergy's corpus
test (internal/cli/corpus_test.go).

Needs Debian's python3-torch, python3-torchvision and python3-onnx (run it
with /usr/bin/python3; scripts/fetch-onnx-corpus.sh installs them). Every
model is built with weights=None (random initialisation, seeded): nothing is
downloaded.

For each MODEL.onnx it writes MODEL.json beside it:

  file, model, source       the file, the network (torchvision function or
                            class of this script), how it was built
  opset, dynamic_batch      the export's opset; whether the batch is symbolic
  export_batch              the batch size the file was exported at
  inputs                    per graph input: name, shape as exported (a string
                            for a symbolic dimension), batch_axis (the axis of
                            the batch, from the layout given to the export),
                            batch_symbol (its dim_param, "" when static)
  batch_identifiable        true when every input's batch axis is symbolic in
                            the file, so a reader can tell the batch apart
                            without knowing how it was exported
  nodes                     every Conv, ConvTranspose, Gemm, MatMul, Einsum,
                            LSTM and GRU node in graph order: name, op,
                            macs_batch1, macs_batch4
  total_macs_batch1/4       their sums
  count_method_batch1/4     how the shapes behind the counts were obtained

The counts never come from nnergy. Shapes come from onnx.shape_inference on
the file itself with the batch symbol set (dynamic files, or the batch the
file was exported at); for a static file at another batch, from the same
model exported again at that batch (statically, same opset) and matched by
node name. PyTorch computes some Reshape and Slice arguments from Shape
(through Gather, Mul, Concat...), which onnx.shape_inference does not carry
through: that arithmetic on small constant tensors is folded with numpy
first. MACs per node:

  Conv           prod(Y.shape) * (C_in / group) * prod(kernel)
  ConvTranspose  prod(X.shape) * (C_out / group) * prod(kernel)
  Gemm           M * N * K (after transA / transB)
  MatMul         prod(Y.shape) * K, K = last dimension of A
  Einsum         product of the sizes of every index letter (two operands)
  LSTM, GRU      directions * seq * batch * gates * hidden * (input + hidden),
                 gates 4 (LSTM) or 3 (GRU): the input and recurrent products
                 of every time step

and every count at batch 4 must be 4 times the count at batch 1 (checked).
"""

import argparse
import io
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper, shape_inference

MAC_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum", "LSTM", "GRU")
BATCHES = (1, 4)


# ---- models that are not in torchvision -------------------------------------

class Encoder(torch.nn.Module):
    """A torch TransformerEncoder (d_model 256, 4 heads, feed-forward 1024)
    over a sequence of 128 embeddings: input [batch, 128, 256] when
    batch_first, else [128, batch, 256]."""

    def __init__(self, batch_first, layers=2):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(
            d_model=256, nhead=4, dim_feedforward=1024, dropout=0.0,
            batch_first=batch_first)
        self.encoder = torch.nn.TransformerEncoder(layer, num_layers=layers,
                                                   enable_nested_tensor=False)

    def forward(self, x):
        return self.encoder(x)


class LSTMNet(torch.nn.Module):
    """Two stacked LSTM layers (input 64, hidden 128) over a sequence of 32,
    sequence first ([32, batch, 64]), and a linear classifier (10 classes) on
    the last step."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(input_size=64, hidden_size=128, num_layers=2)
        self.fc = torch.nn.Linear(128, 10)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y[-1])


class GRUNet(torch.nn.Module):
    """A bidirectional GRU (input 64, hidden 96), batch first
    ([batch, 32, 64]), and a linear classifier on the last step."""

    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(input_size=64, hidden_size=96, batch_first=True,
                                bidirectional=True)
        self.fc = torch.nn.Linear(192, 10)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.fc(y[:, -1])


class EinsumAttention(torch.nn.Module):
    """Single-head attention written with torch.einsum (exported as Einsum
    at opset 12 and later): x [batch, 64, 128]."""

    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Parameter(torch.randn(3, 128, 128) / 16)
        self.out = torch.nn.Linear(128, 128)

    def forward(self, x):
        q = torch.einsum("bsd,de->bse", x, self.qkv[0])
        k = torch.einsum("bsd,de->bse", x, self.qkv[1])
        v = torch.einsum("bsd,de->bse", x, self.qkv[2])
        a = torch.softmax(torch.einsum("bqe,bke->bqk", q, k) / 11.3, dim=-1)
        return self.out(torch.einsum("bqk,bke->bqe", a, v))


class Upsampler(torch.nn.Module):
    """A small decoder: two strided ConvTranspose2d (one grouped, one with
    padding and output_padding) and a 3x3 Conv, input [batch, 64, 14, 14]."""

    def __init__(self):
        super().__init__()
        self.up1 = torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.up2 = torch.nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1,
                                            output_padding=1, groups=2)
        self.head = torch.nn.Conv2d(16, 3, 3, padding=1)

    def forward(self, x):
        return self.head(torch.relu(self.up2(torch.relu(self.up1(x)))))


def tv(name, **kw):
    def build():
        return getattr(torchvision.models, name)(weights=None, **kw)
    build.model = name
    build.source = "torchvision.models.%s(weights=None%s)" % (
        name, "".join(", %s=%r" % kv for kv in sorted(kw.items())))
    return build


def own(cls, **kw):
    def build():
        return cls(**kw)
    build.model = cls.__name__
    build.source = "scripts/onnx-corpus/make.py %s(%s)" % (
        cls.__name__, ", ".join("%s=%r" % kv for kv in sorted(kw.items())))
    return build


IMAGE = (3, 224, 224)

# name, builder, input shape at batch 1 with the batch axis, batch axis,
# opset, dynamic batch, export batch (static files), in the small set.
# The names say the opset and whether the batch is dynamic ("dyn") or static
# ("b1" for a static batch of 1, "b2" for 2).
CORPUS = [
    ("resnet18_op11_b1", tv("resnet18"), (1,) + IMAGE, 0, 11, False, 1, True),
    ("resnet18_op17_dyn", tv("resnet18"), (1,) + IMAGE, 0, 17, True, 1, True),
    ("mobilenet_v2_op13_dyn", tv("mobilenet_v2"), (1,) + IMAGE, 0, 13, True, 1, True),
    ("squeezenet1_1_op11_b2", tv("squeezenet1_1"), (1,) + IMAGE, 0, 11, False, 2, True),
    ("shufflenet_v2_x1_0_op13_b1", tv("shufflenet_v2_x1_0"), (1,) + IMAGE, 0, 13, False, 1, True),
    ("encoder_bf_op13_dyn", own(Encoder, batch_first=True), (1, 128, 256), 0, 13, True, 1, True),
    ("encoder_sf_op17_dyn", own(Encoder, batch_first=False), (128, 1, 256), 1, 17, True, 1, True),
    ("lstm_op13_dyn", own(LSTMNet), (32, 1, 64), 1, 13, True, 1, True),
    ("einsum_attention_op13_dyn", own(EinsumAttention), (1, 64, 128), 0, 13, True, 1, True),
    ("upsampler_op11_dyn", own(Upsampler), (1, 64, 14, 14), 0, 11, True, 1, True),
    ("resnet50_op17_b1", tv("resnet50"), (1,) + IMAGE, 0, 17, False, 1, False),
    ("mobilenet_v3_small_op13_b2", tv("mobilenet_v3_small"), (1,) + IMAGE, 0, 13, False, 2, False),
    ("mobilenet_v3_large_op17_dyn", tv("mobilenet_v3_large"), (1,) + IMAGE, 0, 17, True, 1, False),
    ("efficientnet_b0_op13_dyn", tv("efficientnet_b0"), (1,) + IMAGE, 0, 13, True, 1, False),
    ("densenet121_op11_b1", tv("densenet121"), (1,) + IMAGE, 0, 11, False, 1, False),
    ("googlenet_op13_b1", tv("googlenet", aux_logits=False, init_weights=True), (1,) + IMAGE, 0, 13, False, 1, False),
    ("vit_b_16_op17_dyn", tv("vit_b_16"), (1,) + IMAGE, 0, 17, True, 1, False),
    ("vit_b_16_op14_b1", tv("vit_b_16"), (1,) + IMAGE, 0, 14, False, 1, False),
    ("encoder_bf_op11_b1", own(Encoder, batch_first=True), (1, 128, 256), 0, 11, False, 1, False),
    ("encoder_sf_op13_b1", own(Encoder, batch_first=False), (128, 1, 256), 1, 13, False, 1, False),
    ("gru_op11_dyn", own(GRUNet), (1, 32, 64), 0, 11, True, 1, False),
]


# ---- export ------------------------------------------------------------------

def at_batch(shape, axis, batch):
    s = list(shape)
    s[axis] = batch
    return tuple(s)


def export(model, shape, axis, opset, dynamic, batch, dst):
    """Exports model with one input of shape (batch set on axis) to dst, a
    path or a file object."""
    x = torch.randn(*at_batch(shape, axis, batch))
    kw = {}
    if dynamic:
        # The output's batch axis is left to the exporter.
        kw["dynamic_axes"] = {"input": {axis: "batch"}}
    torch.onnx.export(model, (x,), dst, opset_version=opset,
                      input_names=["input"], output_names=["output"],
                      do_constant_folding=True, **kw)


# ---- counting ------------------------------------------------------------------

class CountError(Exception):
    pass


def set_batch(m, axis, batch):
    """Returns a copy of m with every input's batch axis set to batch and the
    shapes recorded by the exporter dropped, so that inference starts from
    the inputs alone."""
    m = onnx.ModelProto.FromString(m.SerializeToString())
    inits = {t.name for t in m.graph.initializer}
    for vi in m.graph.input:
        if vi.name in inits:
            continue
        d = vi.type.tensor_type.shape.dim[axis]
        d.ClearField("dim_param")
        d.dim_value = batch
    del m.graph.value_info[:]
    for vi in m.graph.output:
        vi.type.tensor_type.ClearField("shape")
    # Large initializers (weights) become inputs of their shape: inference
    # needs only their dimensions, and copies of the model stay small.
    big = [t for t in m.graph.initializer if prod(t.dims) > FOLD_MAX]
    names = {vi.name for vi in m.graph.input}
    for t in big:
        m.graph.initializer.remove(t)
        if t.name not in names:
            m.graph.input.append(onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    return m


def shapes_of(m):
    """Returns name -> shape (a list of ints, None for an unknown
    dimension) after onnx.shape_inference."""
    m = shape_inference.infer_shapes(m, strict_mode=True, data_prop=True)
    shapes = {}
    for t in m.graph.initializer:
        shapes[t.name] = list(t.dims)
    for vi in list(m.graph.input) + list(m.graph.value_info) + list(m.graph.output):
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            continue
        shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
    return shapes


# Shape arithmetic that onnx.shape_inference does not propagate (PyTorch
# computes Reshape and Slice arguments from Shape with Gather, Mul, Div,
# Concat...): evaluated here with numpy on small constant tensors, so that
# the shapes of the MAC nodes become known.
FOLD_MAX = 4096  # elements; weights are never folded


def fold_node(n, args, shapes):
    """Returns the outputs of node n given its constant inputs (numpy
    arrays, None for an absent optional input), or None when not folded."""
    op = n.op_type
    if op == "Shape":
        s = shapes.get(n.input[0])
        if s is None or None in s:
            return None
        s = np.array(s, dtype=np.int64)
        start, end = attr(n, "start", 0), attr(n, "end", None)
        return [s[start:end]]
    if op == "Constant":
        for a in n.attribute:
            if a.name == "value":
                return [numpy_helper.to_array(a.t)]
            if a.name == "value_int":
                return [np.array(a.i, dtype=np.int64)]
            if a.name == "value_ints":
                return [np.array(list(a.ints), dtype=np.int64)]
        return None
    if not args or any(a is None and name for a, name in zip(args, n.input)):
        return None
    if any(a is not None and a.size > FOLD_MAX for a in args):
        return None
    a = args
    if op == "Gather":
        return [np.take(a[0], a[1], axis=attr(n, "axis", 0))]
    if op == "Unsqueeze":
        axes = attr(n, "axes", None)
        axes = list(a[1]) if axes is None else axes
        out = a[0]
        rank = out.ndim + len(axes)
        for ax in sorted(x % rank for x in axes):
            out = np.expand_dims(out, ax)
        return [out]
    if op == "Squeeze":
        axes = attr(n, "axes", None)
        if axes is None and len(a) > 1 and a[1] is not None:
            axes = list(a[1])
        return [np.squeeze(a[0], axis=tuple(axes) if axes is not None else None)]
    if op == "Concat":
        return [np.concatenate([x for x in a], axis=attr(n, "axis", 0))]
    if op in ("Add", "Sub", "Mul"):
        return [{"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[op](a[0], a[1])]
    if op == "Div":
        if a[0].dtype.kind in "iu":
            return [(np.trunc(a[0] / a[1])).astype(a[0].dtype)]
        return [a[0] / a[1]]
    if op == "Cast":
        return [a[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[attr(n, "to", 0)])]
    if op == "Slice":
        if len(a) < 3:
            return None
        data, starts, ends = a[0], a[1], a[2]
        axes = a[3] if len(a) > 3 and a[3] is not None else range(len(starts))
        steps = a[4] if len(a) > 4 and a[4] is not None else [1] * len(starts)
        idx = [slice(None)] * data.ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            idx[ax] = slice(int(st), int(max(min(en, 2**62), -2**62)), int(sp))
        return [data[tuple(idx)]]
    if op == "Range":
        return [np.arange(a[0], a[1], a[2])]
    if op == "Equal":
        return [np.equal(a[0], a[1])]
    if op == "Where":
        return [np.where(a[0], a[1], a[2])]
    if op == "ConstantOfShape":
        v = attr(n, "value", None)
        v = numpy_helper.to_array(v) if v is not None else np.zeros(1, dtype=np.float32)
        if prod(a[0]) > FOLD_MAX:
            return None
        return [np.full(tuple(int(x) for x in a[0]), v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Identity":
        return [a[0]]
    return None


def infer(m, axis, batch):
    """Returns name -> shape for m with its batch set, folding shape
    arithmetic into constants until the shapes stop changing."""
    m = set_batch(m, axis, batch)
    for _ in range(50):
        shapes = shapes_of(m)
        consts = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer
                  if prod(t.dims) <= FOLD_MAX}
        folded = []
        for n in m.graph.node:
            if n.op_type in MAC_OPS or len(n.output) != 1:
                continue
            out = fold_node(n, [consts.get(i) if i else None for i in n.input], shapes)
            if out is None:
                continue
            consts[n.output[0]] = np.asarray(out[0])
            folded.append(n)
        # onnx.shape_inference gives an Einsum's output only its rank.
        for n in m.graph.node:
            ins = [shapes.get(i) for i in n.input]
            if n.op_type != "Einsum" or not all(x and None not in x for x in ins):
                continue
            o = shapes.get(n.output[0])
            if o is not None and None not in o:
                continue
            eq = attr(n, "equation", b"").decode()
            m.graph.value_info.append(onnx.helper.make_tensor_value_info(
                n.output[0], onnx.TensorProto.FLOAT, einsum_shape(eq, ins)))
            folded.append(None)
        if not folded:
            return shapes
        folded = [n for n in folded if n is not None]
        keep = [n for n in m.graph.node if n not in folded]
        for n in folded:
            m.graph.initializer.append(numpy_helper.from_array(consts[n.output[0]], n.output[0]))
        del m.graph.node[:]
        m.graph.node.extend(keep)
    raise CountError("shape folding did not converge")


def prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def attr(n, name, default):
    for a in n.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def einsum_sizes(eq, shapes):
    """Returns the size of every index letter of an explicit einsum equation
    (broadcast dimensions of "..." get letters of their own, aligned right)
    and the output term."""
    eq = eq.replace(" ", "")
    if "->" not in eq:
        raise CountError("einsum %r: implicit output is not counted" % eq)
    lhs, out = eq.split("->")
    size, nell = {}, 0
    for term, shape in zip(lhs.split(","), shapes):
        if "..." in term:
            head, tail = term.split("...")
            n = len(shape) - len(head) - len(tail)
            nell = max(nell, n)
            term = head + "".join(chr(0x100 + n - i) for i in range(n)) + tail
        if len(term) != len(shape):
            raise CountError("einsum %r: term %r for shape %s" % (eq, term, shape))
        for c, d in zip(term, shape):
            size[c] = max(size.get(c, 1), d)
    if "..." in out:
        head, tail = out.split("...")
        out = head + "".join(chr(0x100 + nell - i) for i in range(nell)) + tail
    return size, out


def einsum_macs(eq, shapes):
    if len(shapes) != 2:
        raise CountError("einsum %r: only two operands are counted" % eq)
    return prod(einsum_sizes(eq, shapes)[0].values())


def einsum_shape(eq, shapes):
    size, out = einsum_sizes(eq, shapes)
    return [size[c] for c in out]


def node_macs(n, shapes):
    def sh(name):
        s = shapes.get(name)
        if s is None or any(d is None for d in s):
            raise CountError("node %s (%s): shape of %r unknown: %s" % (n.name, n.op_type, name, s))
        return s
    op = n.op_type
    if op == "Conv":
        w = sh(n.input[1])
        return prod(sh(n.output[0])) * w[1] * prod(w[2:])
    if op == "ConvTranspose":
        w = sh(n.input[1])
        return prod(sh(n.input[0])) * w[1] * prod(w[2:])
    if op == "Gemm":
        a, b = sh(n.input[0]), sh(n.input[1])
        if attr(n, "transA", 0):
            a = a[::-1]
        if attr(n, "transB", 0):
            b = b[::-1]
        if a[1] != b[0]:
            raise CountError("node %s: Gemm of %s and %s" % (n.name, a, b))
        return a[0] * a[1] * b[1]
    if op == "MatMul":
        return prod(sh(n.output[0])) * sh(n.input[0])[-1]
    if op == "Einsum":
        return einsum_macs(attr(n, "equation", b"").decode(), [sh(i) for i in n.input])
    if op in ("LSTM", "GRU"):
        x, w = sh(n.input[0]), sh(n.input[1])  # X [seq, batch, in] (layout 0), W [dirs, gates*hidden, in]
        if attr(n, "layout", 0):
            x = [x[1], x[0], x[2]]
        hidden = attr(n, "hidden_size", None)
        gates = 4 if op == "LSTM" else 3
        if hidden is None or w[1] != gates * hidden or w[2] != x[2]:
            raise CountError("node %s: %s weights %s for input %s" % (n.name, op, w, x))
        return w[0] * x[0] * x[1] * gates * hidden * (x[2] + hidden)
    raise CountError("node %s: op %s is not counted" % (n.name, op))


def count(m, axis, batch):
    shapes = infer(m, axis, batch)
    return [(n.name, n.op_type, node_macs(n, shapes)) for n in m.graph.node if n.op_type in MAC_OPS]


def mac_nodes(m):
    return [(n.name, n.op_type) for n in m.graph.node if n.op_type in MAC_OPS]


# ---- one file ------------------------------------------------------------------

def make(dir, entry):
    name, build, shape, axis, opset, dynamic, xbatch, _ = entry
    torch.manual_seed(0)
    model = build().eval()
    path = os.path.join(dir, name + ".onnx")
    t0 = time.time()
    export(model, shape, axis, opset, dynamic, xbatch, path)
    seconds = time.time() - t0
    m = onnx.load(path)
    onnx.checker.check_model(m)
    want = mac_nodes(m)
    if len({n for n, _ in want}) != len(want) or any(not n for n, _ in want):
        raise CountError("%s: MAC nodes without unique names" % name)
    counts, methods = {}, {}
    for b in BATCHES:
        if dynamic or b == xbatch:
            counts[b] = count(m, axis, b)
            methods[b] = "onnx.shape_inference of this file at batch %d" % b
            continue
        buf = io.BytesIO()
        export(model, shape, axis, opset, False, b, buf)
        twin = onnx.load_from_string(buf.getvalue())
        if mac_nodes(twin) != want:
            raise CountError("%s: the static export at batch %d has other MAC nodes" % (name, b))
        counts[b] = count(twin, axis, b)
        methods[b] = "onnx.shape_inference of the same model exported statically at batch %d (opset %d), matched by node name" % (b, opset)
    nodes = []
    for (n, op, m1), (_, _, m4) in zip(counts[1], counts[4]):
        if m1 <= 0 or m4 != 4 * m1:
            raise CountError("%s: node %s has %d MACs at batch 1 and %d at batch 4" % (name, n, m1, m4))
        nodes.append({"name": n, "op": op, "macs_batch1": m1, "macs_batch4": m4})
    inputs = []
    inits = {t.name for t in m.graph.initializer}
    identifiable = True
    for vi in m.graph.input:
        if vi.name in inits:
            continue
        dims = vi.type.tensor_type.shape.dim
        sym = dims[axis].dim_param
        identifiable = identifiable and sym != ""
        inputs.append({
            "name": vi.name,
            "shape": [d.dim_param if d.dim_param else d.dim_value for d in dims],
            "batch_axis": axis,
            "batch_symbol": sym,
        })
    doc = {
        "file": name + ".onnx",
        "model": build.model,
        "source": build.source,
        "opset": opset,
        "dynamic_batch": dynamic,
        "export_batch": xbatch,
        "inputs": inputs,
        "batch_identifiable": identifiable,
        "nodes": nodes,
        "total_macs_batch1": sum(n["macs_batch1"] for n in nodes),
        "total_macs_batch4": sum(n["macs_batch4"] for n in nodes),
        "count_method_batch1": methods[1],
        "count_method_batch4": methods[4],
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__},
    }
    with open(os.path.join(dir, name + ".json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return seconds, os.path.getsize(path), len(nodes), doc["total_macs_batch1"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--small", action="store_true", help="only the small set (fast to export; what CI builds)")
    p.add_argument("--only", default="", help="comma-separated names of corpus entries to make")
    p.add_argument("dir")
    a = p.parse_args()
    only = set(filter(None, a.only.split(",")))
    known = {e[0] for e in CORPUS}
    if only - known:
        p.error("unknown entries %s (known: %s)" % (sorted(only - known), ", ".join(sorted(known))))
    os.makedirs(a.dir, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for e in CORPUS:
        if (a.small and not e[7]) or (only and e[0] not in only):
            continue
        t0 = time.time()
        try:
            secs, size, nodes, macs = make(a.dir, e)
        except CountError as err:
            print("make.py: %s" % err, file=sys.stderr)
            sys.exit(1)
        print("%-30s opset %2d  %-7s %4d MAC nodes  %14d MACs at batch 1  %6.1f MB  export %5.1f s, total %5.1f s" % (
            e[0], e[4], "dynamic" if e[5] else "static", nodes, macs, size / 1e6, secs, time.time() - t0),
            file=sys.stderr)


if __name__ == "__main__":
    main()
