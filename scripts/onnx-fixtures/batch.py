#!/usr/bin/python3
"""Makes the batch fixtures of workload/onnx (transformers and a CNN whose batch
dimension the importer must find, or refuse to guess) and their expected MACs.

Run from the repository root with Debian's Python (the files are committed, so
tests never need Python):

    apt-get install -y python3-torch python3-onnx
    /usr/bin/python3 scripts/onnx-fixtures/batch.py [OUTDIR] [--big]

Versions used for the committed files: python3-torch 1.13, python3-onnx 1.12
(Debian 12); opset 13, eval mode, fixed seed.

workload/onnx/testdata/batch/ (OUTDIR):
  enc_bf_dyn.onnx   nn.TransformerEncoder (d_model 16, 2 heads, feed-forward 32, 1 layer,
                    batch_first=True) on src [batch, 8, 16], batch a dynamic axis named "batch"
  enc_bf_b1.onnx    the same exported with a static batch of 1: src [1, 8, 16]
  enc_bf_b3.onnx    static batch 3: src [3, 8, 16]
  enc_sf_dyn.onnx   the same encoder sequence-first (batch_first=False): src [8, batch, 16]
  enc_sf_b1.onnx    sequence-first, static batch 1: src [8, 1, 16]
  enc_sf_b3.onnx    sequence-first, static batch 3: src [8, 3, 16]
  enc_bf_seq.onnx   the batch-first encoder with two dynamic axes, "batch" and "seq" (8 at
                    export): the sequence length must be given (--dim seq=8)
  cnn_b2.onnx       conv 3->4 3x3, relu, conv 4->8 3x3 stride 2, flatten (view), linear 128->10,
                    static batch 2: input [2, 3, 8, 8]
  NAME.json         the expected MACs of NAME.onnx, per Conv/Gemm/MatMul node in graph order
                    and in total, at each batch the file must evaluate at (see below), the
                    input's shape, its batch axis (null where it cannot be told apart) and
                    the sizes of its other symbolic dimensions

Expected MACs never come from nnergy. For every batch b listed, the same torch module
is exported again with a static input at batch b (in memory, constants folded), ONNX's
own shape inference gives every node's input and output shapes, and each Conv/Gemm/
MatMul node counts its MACs from them (Conv: N*M*P*Q*(C/group)*R*S; MatMul/Gemm: the
broadcast batch dims times rows*inner*cols). The script checks that these add up to a
closed-form count from the module's hyperparameters before writing them.

The batches listed are the file's own (1 for a dynamic batch) and 4 where the batch
is identifiable (a dynamic axis named "batch", or the NCHW input of the CNN); the JSON
says "identifiable": false for the static transformer inputs, where nnergy must refuse
any other batch.

--big also writes, to OUTDIR, files that are not committed: a d_model 256, 4 heads,
seq 128 encoder in both layouts (dynamic batch) and torchvision vit_b_16(weights=None)
(dynamic batch), each with its JSON.
"""

import io
import json
import os
import sys

import onnx
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPSET = 13


def encoder(d, heads, ff, batch_first):
    layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=ff, dropout=0.0, batch_first=batch_first)
    return nn.TransformerEncoder(layer, 1, enable_nested_tensor=False).eval()


def encoder_macs(b, t, d, heads, ff):
    """Closed-form MACs of one encoder layer on b sequences of t tokens."""
    hd = d // heads
    proj = 4 * b * t * d * d  # q, k, v and output projections
    attn = 2 * b * heads * t * t * hd  # q.k^T and softmax(.).v
    return proj + attn + 2 * b * t * d * ff


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        return self.fc(x.view(x.size(0), -1))


def cnn_macs(b):
    return b * (4 * 3 * 9 * 64 + 8 * 4 * 9 * 16 + 128 * 10)


def export_bytes(module, x, dynamic=None):
    # Not under torch.no_grad(): that selects PyTorch's fused encoder and
    # attention fast paths, which do not export.
    f = io.BytesIO()
    torch.onnx.export(module, x, f, input_names=["src" if x.dim() == 3 else "input"], output_names=["out"],
                      opset_version=OPSET, dynamic_axes=dynamic)
    return f.getvalue()


def dims(info):
    return [d.dim_value for d in info.type.tensor_type.shape.dim]


def count(model_bytes):
    """MACs per Conv/Gemm/MatMul node from ONNX shape inference, in graph order."""
    m = onnx.shape_inference.infer_shapes(onnx.load_from_string(model_bytes), strict_mode=True, data_prop=True)
    g = m.graph
    shapes = {}
    for v in list(g.input) + list(g.value_info) + list(g.output):
        shapes[v.name] = dims(v)
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
    out = []
    for n in g.node:
        if n.op_type not in ("Conv", "Gemm", "MatMul"):
            continue
        a, w, y = shapes[n.input[0]], shapes[n.input[1]], shapes[n.output[0]]
        for s in (a, w, y):
            assert s and all(d > 0 for d in s), (n.name, a, w, y)
        if n.op_type == "Conv":
            group = next((at.i for at in n.attribute if at.name == "group"), 1)
            macs = prod(y) * (a[1] // group) * prod(w[2:])
        elif n.op_type == "Gemm":
            ta = next((at.i for at in n.attribute if at.name == "transA"), 0)
            k = a[0] if ta else a[1]
            macs = prod(y) * k
        else:
            k = a[-1]
            macs = prod(y) * k
        out.append({"node": n.name, "op": n.op_type, "macs": macs})
    return out


def prod(s):
    p = 1
    for d in s:
        p *= d
    return p


def write(outdir, name, data, expect):
    """Writes NAME.onnx and NAME.json; expect maps each batch to (module, input at that batch, closed-form MACs)."""
    path = os.path.join(outdir, name + ".onnx")
    with open(path, "wb") as f:
        f.write(data["bytes"])
    res = {"file": name + ".onnx", "input": data["input"], "identifiable": data["identifiable"],
           "batch_axis": data.get("axis"), "dims": data.get("dims", {}), "batches": {}}
    for b, (module, x, closed) in expect.items():
        layers = count(export_bytes(module, x))
        total = sum(l["macs"] for l in layers)
        if total != closed:
            sys.exit(f"{name} at batch {b}: graph count {total} != closed form {closed}")
        res["batches"][str(b)] = {"layers": layers, "total": total}
    with open(os.path.join(outdir, name + ".json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print(f"{os.path.relpath(path)}: {len(data['bytes'])} bytes; MACs {[(b, v['total']) for b, v in res['batches'].items()]}",
          file=sys.stderr)


def encoders(outdir, prefix, d, heads, ff, t, statics, dyn_batches):
    for bf, tag in ((True, "bf"), (False, "sf")):
        enc = encoder(d, heads, ff, bf)

        def x(b):
            return torch.randn(b, t, d) if bf else torch.randn(t, b, d)

        def expect(batches):
            return {b: (enc, x(b), encoder_macs(b, t, d, heads, ff)) for b in batches}

        axis = 0 if bf else 1
        dyn = export_bytes(enc, x(2), {"src": {axis: "batch"}, "out": {axis: "batch"}})
        shape = ["batch", t, d] if bf else [t, "batch", d]
        write(outdir, f"{prefix}_{tag}_dyn", {"bytes": dyn, "input": shape, "identifiable": True, "axis": axis}, expect(dyn_batches))
        for b in statics:
            data = export_bytes(enc, x(b))
            shape = list(x(b).shape)
            write(outdir, f"{prefix}_{tag}_b{b}", {"bytes": data, "input": shape, "identifiable": False}, expect([b]))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    big = "--big" in sys.argv[1:]
    outdir = args[0] if args else os.path.join(ROOT, "workload", "onnx", "testdata", "batch")
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    encoders(outdir, "enc", 16, 2, 32, 8, [1, 3], [1, 4])

    enc = encoder(16, 2, 32, True)
    data = export_bytes(enc, torch.randn(2, 8, 16), {"src": {0: "batch", 1: "seq"}, "out": {0: "batch", 1: "seq"}})
    write(outdir, "enc_bf_seq", {"bytes": data, "input": ["batch", "seq", 16], "identifiable": True, "axis": 0,
                                 "dims": {"seq": 8}},
          {b: (enc, torch.randn(b, 8, 16), encoder_macs(b, 8, 16, 2, 32)) for b in (1, 4)})

    cnn = CNN().eval()
    data = export_bytes(cnn, torch.randn(2, 3, 8, 8))
    write(outdir, "cnn_b2", {"bytes": data, "input": [2, 3, 8, 8], "identifiable": True, "axis": 0},
          {b: (cnn, torch.randn(b, 3, 8, 8), cnn_macs(b)) for b in (2, 4)})

    if big:
        encoders(outdir, "enc256", 256, 4, 2048, 128, [], [1, 4])
        import torchvision
        vit = torchvision.models.vit_b_16(weights=None).eval()

        # Closed form: patch embedding, 12 blocks of a 197-token encoder with an MLP of 3072, head.
        def vit_macs(b):
            t, d = 197, 768
            return b * (768 * 3 * 16 * 16 * 196 + 12 * (encoder_macs(1, t, d, 12, 3072)) + d * 1000)

        data = export_bytes(vit, torch.randn(1, 3, 224, 224), {"input": {0: "batch"}, "out": {0: "batch"}})
        write(outdir, "vit_b_16_dyn", {"bytes": data, "input": ["batch", 3, 224, 224], "identifiable": True, "axis": 0},
              {b: (vit, torch.randn(b, 3, 224, 224), vit_macs(b)) for b in (1, 4)})


if __name__ == "__main__":
    main()
