#!/usr/bin/python3
"""Regenerates the PyTorch fixtures of package nn/onnx (nn/onnx/testdata/).

Run from the repository root with Debian's Python (the fixtures are committed,
so tests never need Python):

    apt-get install -y python3-torch python3-onnx
    /usr/bin/python3 scripts/make_nn_onnx_fixtures.py

Versions used for the committed files: python3-torch 1.13.1, python3-onnx
1.12.0, python3-numpy 1.24.2 (Debian 12). Every model has random weights from
a fixed seed, random batch-norm statistics, and is exported in eval mode with
opset 13 and a dynamic batch axis. For each NAME.onnx the script writes

  NAME.input.f32    a batch of 3 random 1x28x28 images in [0, 1)
  NAME.output.f32   PyTorch's output for them, [3, 10]

as raw little-endian float32 values; the Go test (nn/onnx/torch_test.go)
imports NAME.onnx, runs the input through nnergy and compares with the output.

  cnn.onnx         conv+bn+relu+maxpool, conv(no bias)+bn+relu+avgpool
                   (3x3, stride 2, pad 1, count_include_pad), maxpool 2x2 with
                   ceil_mode on 7x7, flatten, fc+relu, dropout, fc; exported
                   with TrainingMode.PRESERVE and no constant folding, so that
                   BatchNormalization and Dropout stay separate nodes
  dwblock.onnx     a depthwise-separable block: strided stem conv+bn+relu6,
                   3x3 depthwise conv+bn+relu6, 1x1 pointwise conv+bn, residual
                   add, avgpool 3x3 stride 1 pad 1 without count_include_pad,
                   a depthwise conv with channel multiplier 2 and bias, global
                   average pooling, x.view(x.size(0), -1) and fc; the default
                   eval export, which folds each BatchNormalization into its
                   Conv, turns ReLU6 into Clip with constant min and max, and
                   computes the view's shape with Shape/Gather/Unsqueeze/
                   Concat before a Reshape
  dwblock_bn.onnx  the same network and weights exported like cnn.onnx
                   (BatchNormalization nodes kept)
  mlp_acts.onnx    flatten, then fc layers with LeakyReLU, Tanh, GELU (the erf
                   form: Div/Erf/Add/Mul/Mul at opset 13), SiLU, Hardswish
                   (HardSigmoid then Mul), Sigmoid, and LogSoftmax
  mnv3s.onnx       torchvision's MobileNetV3-Small, MobileNetV3-Large and
  mnv3l.onnx       EfficientNet-B0 with weights=None, width-reduced (width
  effb0.onnx       multiplier 0.25; EfficientNet-B0 also depth multiplier 0.5)
                   so that the committed files stay under 1 MB, with a
                   1-channel stem for 28x28 images and 10 classes; the default
                   eval export (BatchNormalization folded; Hardswish as
                   HardSigmoid then Mul, SiLU as Sigmoid then Mul, the
                   squeeze-and-excitation scale as a broadcast Mul)
  tf.onnx          a transformer classifier: the 28 rows of the image as 28
  tf_ln.onnx       tokens of 28 features, a linear embedding to d_model 32
                   plus a learned positional embedding, torch's
                   nn.TransformerEncoder of 2 layers (4 heads, feed-forward
                   64, GELU, batch_first), the mean over the tokens and a
                   linear head; tf.onnx at opset 13 (layer norm decomposed
                   into ReduceMean/Sub/Pow/Sqrt/Div/Mul/Add), tf_ln.onnx at
                   opset 17 (LayerNormalization)

With --full DIR it instead writes the full-size torchvision models, as a user
would bring them (3x224x224 input, 1000 classes, weights=None from a fixed
seed): DIR/mobilenet_v3_small.onnx, mobilenet_v3_large.onnx and
efficientnet_b0.onnx with their .input.f32 (2 images) and .output.f32. They
are 10-20 MB each, so they are not committed; scripts/make_torchvision.sh
caches them under ~/.cache/nnergy/torchvision, where
nn/onnx/torchvision_test.go finds them.
"""

import os
import sys

import torchvision.models.efficientnet as efficientnet
import torchvision.models.mobilenetv3 as mobilenetv3

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "nn", "onnx", "testdata")
OPSET = 13
BATCH = 3


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.pool2 = nn.AvgPool2d(3, stride=2, padding=1)
        self.pool3 = nn.MaxPool2d(2, ceil_mode=True)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):  # x: Nx1x28x28
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))  # 8x14x14
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))  # 16x7x7
        x = self.pool3(x)  # 16x4x4
        x = torch.flatten(x, 1)
        return self.fc2(self.drop(F.relu(self.fc1(x))))


class DWBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.dw_bn = nn.BatchNorm2d(16)
        self.pw = nn.Conv2d(16, 16, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(16)
        self.pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.dw2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=16)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):  # x: Nx1x28x28
        x = F.relu6(self.stem_bn(self.stem(x)))  # 16x14x14
        y = F.relu6(self.dw_bn(self.dw(x)))
        y = self.pw_bn(self.pw(y))
        x = self.pool(x + y)
        x = F.adaptive_avg_pool2d(self.dw2(x), 1)  # 32x1x1
        return self.fc(x.view(x.size(0), -1))


class MLPActs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 48)
        self.fc2 = nn.Linear(48, 40)
        self.fc3 = nn.Linear(40, 32)
        self.fc4 = nn.Linear(32, 32)
        self.fc5 = nn.Linear(32, 24)
        self.fc6 = nn.Linear(24, 16)
        self.fc7 = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.leaky_relu(self.fc1(x), 0.1)
        x = torch.tanh(self.fc2(x))
        x = F.gelu(self.fc3(x))
        x = F.silu(self.fc4(x))
        x = F.hardswish(self.fc5(x))
        x = torch.sigmoid(self.fc6(x))
        return F.log_softmax(self.fc7(x), dim=1)


def mobilenet_v3(arch, width):
    setting, last = mobilenetv3._mobilenet_v3_conf(arch, width_mult=width)
    m = mobilenetv3.MobileNetV3(setting, int(last * width), num_classes=10)
    stem = m.features[0][0]
    m.features[0][0] = nn.Conv2d(1, stem.out_channels, 3, 2, 1, bias=False)
    return m


def efficientnet_b0(width, depth):
    setting, last = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=width, depth_mult=depth)
    m = efficientnet.EfficientNet(setting, 0.2, last_channel=last, num_classes=10)
    stem = m.features[0][0]
    m.features[0][0] = nn.Conv2d(1, stem.out_channels, 3, 2, 1, bias=False)
    return m


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Linear(28, 32)
        self.pos = nn.Parameter(torch.randn(1, 28, 32) * 0.1)
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1, activation="gelu", batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(32, 10)

    def forward(self, x):  # x: Nx1x28x28
        x = x.view(x.size(0), 28, 28)
        x = self.enc(self.emb(x) + self.pos)
        return self.head(x.mean(1))


def randomize_bn(model):
    # Non-trivial statistics and affine parameters, so that every term shows.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


def export(model, name, x, opset=OPSET, dir=DIR, **kw):
    model.eval()
    path = os.path.join(dir, name + ".onnx")
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, **kw)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    with torch.no_grad():
        y = model(x)
    x.numpy().astype("<f4").tofile(os.path.join(dir, name + ".input.f32"))
    y.numpy().astype("<f4").tofile(os.path.join(dir, name + ".output.f32"))
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    print(f"{os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes; output {list(y.shape)}; ops {' '.join(ops)}",
          file=sys.stderr)


def full(dir):
    import torchvision.models as tvm
    os.makedirs(dir, exist_ok=True)
    torch.manual_seed(0)
    x = torch.rand(2, 3, 224, 224)
    for name in ["mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0"]:
        m = getattr(tvm, name)(weights=None)
        randomize_bn(m)
        export(m, name, x, dir=dir)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--full":
        full(sys.argv[2])
        return
    if len(sys.argv) != 1:
        sys.exit("usage: make_nn_onnx_fixtures.py [--full DIR]")
    torch.manual_seed(0)
    os.makedirs(DIR, exist_ok=True)
    preserve = dict(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)

    cnn = CNN()
    randomize_bn(cnn)
    export(cnn, "cnn", torch.rand(BATCH, 1, 28, 28), **preserve)

    dw = DWBlock()
    randomize_bn(dw)
    x = torch.rand(BATCH, 1, 28, 28)
    export(dw, "dwblock", x)
    export(dw, "dwblock_bn", x, **preserve)

    export(MLPActs(), "mlp_acts", torch.rand(BATCH, 1, 28, 28))
    for name, model in [("mnv3s", mobilenet_v3("mobilenet_v3_small", 0.25)),
                        ("mnv3l", mobilenet_v3("mobilenet_v3_large", 0.25)),
                        ("effb0", efficientnet_b0(0.25, 0.5))]:
        randomize_bn(model)
        export(model, name, torch.rand(BATCH, 1, 28, 28))
    tf = Transformer()
    x = torch.rand(BATCH, 1, 28, 28)
    export(tf, "tf", x)
    export(tf, "tf_ln", x, opset=17)


if __name__ == "__main__":
    main()
