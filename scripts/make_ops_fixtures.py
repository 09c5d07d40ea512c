#!/usr/bin/python3
"""Regenerates workload/onnx/testdata/ops/: ONNX files that use the ops the
analysis import learned for issue #10 (ConvTranspose, LSTM, GRU, Einsum,
Resize/Upsample, quantized ops, FLOAT16 weights, external data, and
torchvision's swin_t for Mod/ScatterND), with expected.json holding, per
file, the MACs counted independently of nnergy ("macs"), and the weight
densities of the quantized layers ("densities").

Run from the repository root with Debian's Python (the fixtures are
committed, so tests never need Python):

    apt-get install -y python3-torch python3-torchvision python3-onnx
    /usr/bin/python3 scripts/make_ops_fixtures.py

Versions used for the committed files: python3-torch 1.13.1,
python3-torchvision 0.14.1, python3-onnx 1.12.0 (Debian 12); eval mode,
batch as noted, fixed seed.

The independent count: MACCounter, a TorchFunctionMode, sees every
F.linear, matmul, bmm, F.conv*, F.conv_transpose* and torch.einsum call
of the PyTorch forward pass with its real tensors and counts
output elements × reduction length (input elements × C_out/groups × kernel
for transposed convolutions); recurrent modules, which PyTorch runs in one
fused kernel, are counted by forward hooks as gates × (input + hidden) ×
hidden × batch × steps × directions per layer. The quantized model is
built with onnx.helper and counted from its definition.

Files:
  convtranspose.onnx   ConvTranspose2d 4->6, 3x3, stride 2, pad 1, output_padding 1,
                       groups 2; then ConvTranspose2d 6->3, (2, 3), stride (1, 2),
                       dilation 2; then ConvTranspose1d on a reshaped view (opset 13)
  lstm.onnx            2-layer bidirectional LSTM (input 8, hidden 16) over 6 steps,
                       batch 2, sequence first, and a linear head (opset 13)
  gru.onnx             GRU (input 8, hidden 12), batch first, batch 3, 4 steps,
                       and a linear head on the last state (opset 14, layout 1 is not
                       what PyTorch writes: it transposes)
  einsum.onnx          multi-head attention written with torch.einsum
                       ("bhid,bhjd->bhij", "bhij,bhjd->bhid") and linear layers (opset 13)
  upsample9.onnx       conv, F.interpolate(scale_factor=2, nearest), conv at opset 9
                       (Upsample with a scales input)
  upsample11.onnx      the same at opset 11 (Resize with roi and scales)
  resize13.onnx        conv, F.interpolate(size=(10, 7), bilinear), conv at opset 13
                       (Resize with sizes computed from Shape)
  quantized.onnx       QLinearConv (uint8 x, int8 w with zero point 1) and
                       QLinearMatMul, built with onnx.helper (opset 13)
  fp16.onnx            a conv and a linear layer whose weights, input and output are
                       FLOAT16 (the float export, converted)
  external.onnx        a small CNN whose weights are in external.onnx.data
                       (onnx.save_model with save_as_external_data)
  swin_t_graph.onnx.gz torchvision swin_t() at 224x224, every float initializer
                       turned into a graph input (the tests turn them back), gzipped
                       (6623 nodes: 1.3 MB plain, 90 kB gzipped); its window padding
                       computes shapes with Mod
"""

import gzip
import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from torch.overrides import TorchFunctionMode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "workload", "onnx", "testdata", "ops")

MATMULS = (torch.matmul, torch.Tensor.matmul, torch.Tensor.__matmul__, torch.bmm, torch.mm, torch.Tensor.bmm)


class MACCounter(TorchFunctionMode):
    """Counts the MACs of every linear, matmul, convolution and einsum call."""

    def __init__(self):
        super().__init__()
        self.macs = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if func is F.linear:
            self.macs += out.numel() * args[1].shape[1]
        elif func in MATMULS:
            self.macs += out.numel() * args[0].shape[-1]
        elif func in (F.conv1d, F.conv2d):
            self.macs += out.numel() * math.prod(args[1].shape[1:])
        elif func in (F.conv_transpose1d, F.conv_transpose2d):
            self.macs += args[0].numel() * math.prod(args[1].shape[1:])
        elif func is torch.einsum:
            eq = args[0].replace(" ", "")
            ops = args[1] if isinstance(args[1], (list, tuple)) else args[1:]
            size = {}
            for term, t in zip(eq.split("->")[0].split(","), ops):
                for c, d in zip(term, t.shape):
                    size[c] = max(size.get(c, 1), d)
            self.macs += math.prod(size.values())
        return out


def rnn_hook(counter):
    def hook(mod, inputs, output):
        x = inputs[0]
        seq, batch = (x.shape[1], x.shape[0]) if mod.batch_first else (x.shape[0], x.shape[1])
        gates = {nn.LSTM: 4, nn.GRU: 3, nn.RNN: 1}[type(mod)]
        dirs = 2 if mod.bidirectional else 1
        h = mod.hidden_size
        for layer in range(mod.num_layers):
            inp = mod.input_size if layer == 0 else h * dirs
            counter.macs += gates * (inp + h) * h * batch * seq * dirs
    return hook


def count(model, *inputs):
    c = MACCounter()
    hooks = [m.register_forward_hook(rnn_hook(c)) for m in model.modules() if isinstance(m, (nn.LSTM, nn.GRU, nn.RNN))]
    with torch.no_grad(), c:
        model(*inputs)
    for h in hooks:
        h.remove()
    return c.macs


expected = {}  # file: MACs
densities = {}  # layer: weight density


def export(name, model, inputs, opset, **kw):
    model.eval()
    path = os.path.join(DIR, name)
    torch.onnx.export(model, inputs, path, opset_version=opset, **kw)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    expected[name] = count(model, *(inputs if isinstance(inputs, tuple) else (inputs,)))
    print(f"{name}: {os.path.getsize(path)} bytes, {expected[name]} MACs", file=sys.stderr)
    return path


class ConvT(nn.Module):
    def __init__(self):
        super().__init__()
        self.up1 = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.up2 = nn.ConvTranspose2d(6, 3, (2, 3), stride=(1, 2), dilation=2)
        self.up3 = nn.ConvTranspose1d(3, 2, 4, stride=3, padding=1)

    def forward(self, x):  # 1x4x5x5
        y = self.up2(F.relu(self.up1(x)))  # 1x6x10x10 -> 1x3x12x23
        return self.up3(y.flatten(2))


class LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, num_layers=2, bidirectional=True)
        self.head = nn.Linear(32, 5)

    def forward(self, x):  # 6x2x8
        y, _ = self.lstm(x)
        return self.head(y)


class GRUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 12, batch_first=True)
        self.head = nn.Linear(12, 3)

    def forward(self, x):  # 3x4x8
        _, h = self.gru(x)
        return self.head(h)


class EinsumAttention(nn.Module):
    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):  # 1x8x16
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        s = torch.einsum("bhid,bhjd->bhij", q, k).softmax(-1)
        o = torch.einsum("bhij,bhjd->bhid", s, v)
        return self.out(o.transpose(1, 2).reshape(b, n, d))


class Upsample(nn.Module):
    def __init__(self, size=None, mode="nearest"):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 2, 3, padding=1)
        self.size, self.mode = size, mode

    def forward(self, x):  # 1x3x5x5
        y = self.a(x)
        if self.size:
            y = F.interpolate(y, size=self.size, mode=self.mode, align_corners=False)
        else:
            y = F.interpolate(y, scale_factor=2, mode=self.mode)
        return self.b(y)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):  # 1x3x8x8
        return self.fc(torch.flatten(F.max_pool2d(F.relu(self.conv(x)), 2), 1))


def quantized():
    """QLinearConv 2->4, 3x3, pad 1 on 1x2x5x5 uint8, then QLinearMatMul 100->3."""
    rng = np.random.default_rng(0)
    w = rng.integers(-3, 4, size=(4, 2, 3, 3), dtype=np.int8)
    b = rng.integers(0, 10, size=(100, 3), dtype=np.uint8)
    inits = [
        numpy_helper.from_array(np.array(0.1, np.float32), "xs"), numpy_helper.from_array(np.array(128, np.uint8), "xz"),
        numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array(0.05, np.float32), "ws"),
        numpy_helper.from_array(np.array(1, np.int8), "wz"), numpy_helper.from_array(np.array(0.2, np.float32), "ys"),
        numpy_helper.from_array(np.array(0, np.int8), "yz"), numpy_helper.from_array(np.array([1, 100], np.int64), "flat"),
        numpy_helper.from_array(b, "b"), numpy_helper.from_array(np.array(4, np.uint8), "bz"),
        numpy_helper.from_array(np.array(0, np.uint8), "oz"),
    ]
    nodes = [
        helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"], name="qconv", pads=[1, 1, 1, 1]),
        helper.make_node("Cast", ["y"], ["yu"], to=TensorProto.UINT8),
        helper.make_node("Reshape", ["yu", "flat"], ["f"]),
        helper.make_node("QLinearMatMul", ["f", "xs", "xz", "b", "ws", "bz", "ys", "oz"], ["z"], name="qmm"),
    ]
    g = helper.make_graph(nodes, "quantized", [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 2, 5, 5])],
                          [helper.make_tensor_value_info("z", TensorProto.UINT8, [1, 3])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(DIR, "quantized.onnx"))
    # Conv: 4 outputs x 5x5 positions x 2 channels x 3x3; MatMul: 100 x 3.
    expected["quantized.onnx"] = 4 * 5 * 5 * 2 * 3 * 3 + 100 * 3
    # Weights equal to their zero point are zeros: the density the import must report.
    densities["qconv"] = float(np.mean(w != 1))
    densities["qmm"] = float(np.mean(b != 4))


def to_fp16(path):
    """Turns every FLOAT initializer, input and output of the model in path into FLOAT16."""
    m = onnx.load(path)
    g = m.graph
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            g.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))
    for v in list(g.input) + list(g.output):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.FLOAT16
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def weights_to_inputs(path):
    """Turns every float initializer into a graph input of the same shape."""
    m = onnx.load(path)
    g = m.graph
    keep = []
    for t in g.initializer:
        if t.data_type == TensorProto.FLOAT:
            g.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
        else:
            keep.append(t)
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    print(f"{os.path.basename(path)}: {os.path.getsize(path)} bytes (weights as inputs)", file=sys.stderr)


def main():
    torch.manual_seed(0)
    os.makedirs(DIR, exist_ok=True)
    names = dict(input_names=["input"], output_names=["output"])
    export("convtranspose.onnx", ConvT(), torch.randn(1, 4, 5, 5), 13, **names)
    export("lstm.onnx", LSTMNet(), torch.randn(6, 2, 8), 13, **names)
    export("gru.onnx", GRUNet(), torch.randn(3, 4, 8), 14, **names)
    export("einsum.onnx", EinsumAttention(), torch.randn(1, 8, 16), 13, **names)
    export("upsample9.onnx", Upsample(), torch.randn(1, 3, 5, 5), 9, **names)
    export("upsample11.onnx", Upsample(), torch.randn(1, 3, 5, 5), 11, **names)
    export("resize13.onnx", Upsample(size=(10, 7), mode="bilinear"), torch.randn(1, 3, 5, 5), 13, **names)
    quantized()
    to_fp16(export("fp16.onnx", SmallCNN(), torch.randn(1, 3, 8, 8), 13, **names))

    p = export("external.onnx", SmallCNN(), torch.randn(1, 3, 8, 8), 13, **names)
    m = onnx.load(p)
    onnx.save_model(m, p, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="external.onnx.data", size_threshold=0)
    onnx.checker.check_model(p)

    import torchvision
    p = export("swin_t_graph.onnx", torchvision.models.swin_t(weights=None), torch.randn(1, 3, 224, 224), 13, **names)
    weights_to_inputs(p)
    with open(p, "rb") as src, open(p + ".gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as dst:
            dst.write(src.read())
    os.remove(p)
    expected["swin_t_graph.onnx.gz"] = expected.pop("swin_t_graph.onnx")

    with open(os.path.join(DIR, "expected.json"), "w") as f:
        json.dump({"macs": expected, "densities": densities}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
