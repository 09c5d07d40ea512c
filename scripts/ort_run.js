#!/usr/bin/env node
// ort_run.js MODEL.onnx INPUT.f32 DIMS OUTPUT.f32: run an ONNX model in ONNX
// Runtime (the npm package onnxruntime-node) on one input and write its
// first output.
//
// INPUT.f32 holds the input as raw little-endian float32 values, DIMS is its
// shape (e.g. 2,1,28,28), and OUTPUT.f32 receives the output the same way;
// the output's shape is printed to stdout as JSON ({"dims":[2,10]}).
//
// onnxruntime-node is loaded from $NNERGY_ORT, else $NNERGY_DATA/ort, else
// ~/.cache/nnergy/ort (where scripts/fetch-ort.sh installs it), else from
// Node's usual module path. The nnergy tests call this script to compare
// nnergy's outputs with ONNX Runtime's (nn/onnx/ort_test.go).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

function ortDir() {
  if (process.env.NNERGY_ORT) return process.env.NNERGY_ORT;
  if (process.env.NNERGY_DATA) return path.join(process.env.NNERGY_DATA, 'ort');
  return path.join(os.homedir(), '.cache', 'nnergy', 'ort');
}

function loadORT() {
  const p = path.join(ortDir(), 'node_modules', 'onnxruntime-node');
  if (fs.existsSync(p)) return require(p);
  try {
    return require('onnxruntime-node');
  } catch (e) {
    console.error(`ort_run.js: onnxruntime-node is not in ${p}; install it with scripts/fetch-ort.sh`);
    process.exit(3);
  }
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 4) {
    console.error('usage: ort_run.js MODEL.onnx INPUT.f32 DIMS OUTPUT.f32');
    process.exit(2);
  }
  const [model, input, dimsArg, output] = args;
  const ort = loadORT();
  const dims = dimsArg.split(',').map(Number);
  const buf = fs.readFileSync(input);
  const n = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== 4 * n) {
    throw new Error(`${input} has ${buf.length} bytes, shape ${dims} needs ${4 * n}`);
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(4 * i);
  const session = await ort.InferenceSession.create(model);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  const result = await session.run(feeds);
  const out = result[session.outputNames[0]];
  const bytes = Buffer.alloc(4 * out.data.length);
  for (let i = 0; i < out.data.length; i++) bytes.writeFloatLE(out.data[i], 4 * i);
  fs.writeFileSync(output, bytes);
  console.log(JSON.stringify({ dims: out.dims.map(Number), ort: ort.env.versions.common }));
}

main().catch((e) => {
  console.error(`ort_run.js: ${e.message || e}`);
  process.exit(1);
});
