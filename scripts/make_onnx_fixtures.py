#!/usr/bin/python3
"""Regenerates the ONNX test fixtures of packages onnx and workload/onnx.

Run from the repository root with Debian's Python (the fixtures are committed,
so tests never need Python):

    apt-get install -y python3-torch python3-torchvision python3-onnx
    /usr/bin/python3 scripts/make_onnx_fixtures.py

Versions used for the committed files: python3-torch 1.13.1, python3-torchvision
0.14.1, python3-onnx 1.12.0 (Debian 12). Every model is exported with opset 13,
batch 1, in eval mode, with a fixed seed.

workload/onnx/testdata/
  tiny_cnn.onnx       conv/bn/relu/maxpool/conv/bn/relu/avgpool/globalpool/flatten/dropout/fc
                      (exported with TrainingMode.PRESERVE so that BatchNormalization and
                      Dropout stay in the graph instead of being folded away)
  residual.onnx       a ResNet basic block with a strided 1x1 projection shortcut
  dwsep.onnx          a MobileNetV2 inverted residual (ReLU6 = Clip, depthwise 3x3),
                      a grouped dilated conv, and a view(x.size(0), -1) classifier head;
                      exported with a dynamic batch axis, so the head becomes
                      Shape/Gather/Unsqueeze/Concat/Reshape and BatchNormalization is fused
                      into the convs (the default eval export)
  attention.onnx      a transformer encoder block: q/k/v projections, per-head
                      reshape/transpose, scaled dot-product attention, output projection,
                      residual, LayerNorm (decomposed at opset 13) and a GELU FFN
  pruned_cnn.onnx     two convs and an fc whose weights were zeroed in a known pattern:
                      conv1 zeroes output filters 0..3 of 8 (density 0.5), conv2 zeroes
                      input channels 0, 3, 6 of 8 (density 5/8), fc zeroes every fourth
                      input feature (density 0.75)
  resnet18_graph.onnx, mobilenetv2_graph.onnx
                      torchvision resnet18() and mobilenet_v2() at 224x224 as PyTorch
                      exports them, except that every float initializer was turned into
                      a graph input of the same name and shape to keep the files small;
                      the tests turn them back into initializers before importing.

onnx/testdata/
  tiny_cnn.onnx       same as above (a valid model)
  unsorted.onnx       tiny_cnn with its nodes in reverse order (valid ONNX needs
                      topological order; the decoder sorts it)
  no_graph.onnx       a ModelProto with ir_version and opset but no graph
  truncated.onnx      the first 300 bytes of tiny_cnn.onnx
  not_onnx.onnx       a text file
"""

import os
import sys

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WDIR = os.path.join(ROOT, "workload", "onnx", "testdata")
ODIR = os.path.join(ROOT, "onnx", "testdata")
OPSET = 13


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.pool2 = nn.AvgPool2d(2, stride=1)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):  # x: 1x3x16x16
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))  # 8x8x8
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))  # 16x4x4 -> 16x3x3
        x = F.adaptive_avg_pool2d(x, 1)  # 16x1x1
        x = torch.flatten(x, 1)
        return self.fc(self.drop(x))


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.down = nn.Conv2d(8, 16, 1, stride=2, bias=False)
        self.bnd = nn.BatchNorm2d(16)

    def forward(self, x):  # x: 1x8x8x8
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.bnd(self.down(x)))


class DWSep(nn.Module):
    def __init__(self):
        super().__init__()
        self.expand = nn.Conv2d(8, 16, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.project = nn.Conv2d(16, 8, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(8)
        self.grouped = nn.Conv2d(8, 12, 3, padding=2, dilation=2, groups=4)
        self.fc = nn.Linear(12 * 8 * 8, 5)

    def forward(self, x):  # x: 1x8x8x8
        y = F.relu6(self.bn1(self.expand(x)))
        y = F.relu6(self.bn2(self.dw(y)))
        y = self.bn3(self.project(y))
        y = torch.sigmoid(self.grouped(x + y))
        return self.fc(y.view(y.size(0), -1))


class Attention(nn.Module):
    def __init__(self, dim=16, heads=2, ffn=32):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.ln1 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, ffn)
        self.ff2 = nn.Linear(ffn, dim)
        self.ln2 = nn.LayerNorm(dim)

    def forward(self, x):  # x: 1x8x16 (batch, tokens, dim)
        b, t, e = x.shape
        h, d = self.heads, e // self.heads

        def split(z):
            return z.view(b, t, h, d).transpose(1, 2)  # b h t d

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        a = torch.softmax(q @ k.transpose(-2, -1) / d**0.5, dim=-1)
        y = (a @ v).transpose(1, 2).reshape(b, t, e)
        x = self.ln1(x + self.out(y))
        return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))


class PrunedCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):  # 1x3x8x8
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def export(model, x, path, **kw):
    model.eval()
    torch.onnx.export(model, x, path, opset_version=OPSET, input_names=["input"],
                      output_names=["output"], **kw)
    onnx.checker.check_model(onnx.load(path))
    print(f"{os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes", file=sys.stderr)


def randomize_bn(model):
    # Non-trivial running statistics, so that a BN fused into a conv would show.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)


def weights_to_inputs(path):
    """Turns every float initializer into a graph input of the same shape."""
    m = onnx.load(path)
    g = m.graph
    keep = []
    for t in g.initializer:
        if t.data_type == onnx.TensorProto.FLOAT:
            g.input.append(onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
        else:
            keep.append(t)
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    print(f"{os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes (weights as inputs)", file=sys.stderr)


def main():
    torch.manual_seed(0)
    os.makedirs(WDIR, exist_ok=True)
    os.makedirs(ODIR, exist_ok=True)
    preserve = dict(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)

    cnn = TinyCNN()
    randomize_bn(cnn)
    export(cnn, torch.randn(1, 3, 16, 16), os.path.join(WDIR, "tiny_cnn.onnx"), **preserve)

    res = Residual()
    randomize_bn(res)
    export(res, torch.randn(1, 8, 8, 8), os.path.join(WDIR, "residual.onnx"), **preserve)

    dws = DWSep()
    randomize_bn(dws)
    export(dws, torch.randn(1, 8, 8, 8), os.path.join(WDIR, "dwsep.onnx"),
           dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})

    export(Attention(), torch.randn(1, 8, 16), os.path.join(WDIR, "attention.onnx"))

    pr = PrunedCNN()
    with torch.no_grad():
        pr.conv1.weight[:4] = 0  # output filters 0..3: density 0.5
        pr.conv2.weight[:, ::3] = 0  # input channels 0, 3, 6 of 8: density 5/8
        pr.fc.weight[:, ::4] = 0  # every fourth input feature: density 0.75
    export(pr, torch.randn(1, 3, 8, 8), os.path.join(WDIR, "pruned_cnn.onnx"))

    try:
        import torchvision
    except ImportError:
        print("torchvision missing: skipping resnet18_graph.onnx and mobilenetv2_graph.onnx", file=sys.stderr)
    else:
        for name, ctor in [("resnet18", torchvision.models.resnet18),
                           ("mobilenetv2", torchvision.models.mobilenet_v2)]:
            p = os.path.join(WDIR, name + "_graph.onnx")
            export(ctor(), torch.randn(1, 3, 224, 224), p)
            weights_to_inputs(p)

    # onnx/testdata: decoder fixtures.
    src = os.path.join(WDIR, "tiny_cnn.onnx")
    data = open(src, "rb").read()
    open(os.path.join(ODIR, "tiny_cnn.onnx"), "wb").write(data)
    open(os.path.join(ODIR, "truncated.onnx"), "wb").write(data[:300])
    open(os.path.join(ODIR, "not_onnx.onnx"), "w").write("this is not an ONNX model\n")
    m = onnx.load(src)
    nodes = list(m.graph.node)
    del m.graph.node[:]
    m.graph.node.extend(reversed(nodes))
    onnx.save(m, os.path.join(ODIR, "unsorted.onnx"))
    ng = onnx.helper.make_model(onnx.helper.make_graph([], "g", [], []))
    ng.ClearField("graph")
    onnx.save(ng, os.path.join(ODIR, "no_graph.onnx"))


if __name__ == "__main__":
    main()
