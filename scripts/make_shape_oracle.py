#!/usr/bin/python3
"""Regenerates workload/onnx/testdata/shapes.json.gz: for every ONNX fixture
under workload/onnx/testdata (.onnx, and the gzipped *_graph models), the shape of every value that ONNX's own
shape inference (onnx.shape_inference.infer_shapes, the reference
implementation, independent of nnergy) can give, by value name. A symbolic
dimension is its dim_param, or "?" when it has none.

onnx/graph's front-end must infer the same shapes (TestShapesMatchONNX in
workload/onnx, which lowers the MAC ops). Run from the repository root with
Debian's Python (the file is committed, so tests never need Python):

    apt-get install -y python3-onnx
    /usr/bin/python3 scripts/make_shape_oracle.py

Version used for the committed file: python3-onnx 1.12.0 (Debian 12).
"""
import glob
import gzip
import json
import os

import onnx
from onnx import shape_inference

ROOT = "workload/onnx/testdata"


def dims(t):
    out = []
    for d in t.shape.dim:
        if d.HasField("dim_value"):
            out.append(d.dim_value)
        elif d.dim_param:
            out.append(d.dim_param)
        else:
            out.append("?")
    return out


def main():
    oracle = {}
    paths = glob.glob(os.path.join(ROOT, "**", "*.onnx"), recursive=True)
    paths += glob.glob(os.path.join(ROOT, "**", "*.onnx.gz"), recursive=True)
    for path in sorted(paths):
        if "/fuzz/" in path:
            continue
        if path.endswith(".gz"):  # a *_graph model, its weights as graph inputs
            with gzip.open(path) as f:
                m = onnx.load_model_from_string(f.read())
        else:
            m = onnx.load(path, load_external_data=False)
        inferred = shape_inference.infer_shapes(m, strict_mode=False)
        shapes = {}
        for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
            t = vi.type.tensor_type
            if t.HasField("shape"):
                shapes[vi.name] = dims(t)
        oracle[os.path.relpath(path, ROOT)] = shapes
    data = json.dumps(oracle, indent=1, sort_keys=True) + "\n"
    with open(os.path.join(ROOT, "shapes.json.gz"), "wb") as f:
        f.write(gzip.compress(data.encode(), compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()
