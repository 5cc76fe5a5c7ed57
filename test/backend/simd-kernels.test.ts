import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import {
  KernelCase, backpropFilterCase, backpropInputCase, checkCases, convCases, forwardConvCase, randomInput,
} from '../../lib/backend/gradient-check';
import { simdBuild, simdKernels, simdWasmFile } from '../../lib/backend/simd/index';
import { pixelShuffle } from '../../lib/models/layers/pixel-shuffle';
import { sumRows } from '../../lib/backend/wasm-kernels/sum';
import { Rng } from '../../lib/util/rng';

// No DOM lib in this tsconfig: the WebAssembly members used here, typed locally.
type Desc = { module?: string; name: string; kind: string };
const WA = (globalThis as unknown as {
  WebAssembly: { validate(b: Uint8Array): boolean; Module: { new (b: Uint8Array): object; imports(m: object): Desc[]; exports(m: object): Desc[] } };
}).WebAssembly;

// This file tests the plain build (the bit-identity claims hold for it); the relaxed build is checked in a
// child process below, since switching it on sets a process-wide V8 flag.
process.env.SRKD_RELAXED_SIMD = 'off';

const SIMD_DIR = path.join(__dirname, '..', '..', 'lib', 'backend', 'simd');

/** Section ids of a wasm binary (header, then id byte + LEB128 size per section). */
function sectionIds(bytes: Uint8Array): number[] {
  expect([...bytes.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
  const ids: number[] = [];
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    let size = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++];
      size |= (b & 0x7f) << shift;
      shift += 7;
      if (b < 0x80) break;
    }
    ids.push(id);
    p += size;
  }
  expect(p).toBe(bytes.length);
  return ids;
}

type Shape4 = [number, number, number, number];
const filterOf = (xShape: Shape4, k: number, cout: number): Shape4 => [k, k, xShape[3], cout];

async function expectMatchCpu(cases: readonly KernelCase[]): Promise<void> {
  const rows = await checkCases(cases, 'wasm');
  expect(rows.filter((r) => !r.ok).map((r) => `${r.kernel} ${r.shape}: rel ${r.maxRelErr.toExponential(2)}`)).toEqual([]);
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm', announce: false });
});

afterEach(() => {
  delete process.env.SRKD_SIMD_KERNELS;
});

describe('committed SIMD wasm modules', () => {
  const info = JSON.parse(fs.readFileSync(path.join(SIMD_DIR, 'build-info.json'), 'utf8')) as {
    builds: { plain: string; plainShared: string; relaxed: string; relaxedShared: string };
    sources: Record<string, string>;
  };

  it('were built from the committed C source (run scripts/build-simd.sh after editing it)', () => {
    const sources = fs.readdirSync(SIMD_DIR).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
    expect(sources.length).toBeGreaterThan(0);
    expect(Object.keys(info.sources).sort()).toEqual([...sources].sort());
    for (const src of sources) {
      const hash = createHash('sha256').update(fs.readFileSync(path.join(SIMD_DIR, src))).digest('hex');
      expect(info.sources[src], src).toBe(hash);
    }
    expect(path.join(SIMD_DIR, info.builds.plain)).toBe(simdWasmFile(false, 'plain'));
    expect(path.join(SIMD_DIR, info.builds.plainShared)).toBe(simdWasmFile(true, 'plain'));
    expect(path.join(SIMD_DIR, info.builds.relaxed)).toBe(simdWasmFile(false, 'relaxed'));
    expect(path.join(SIMD_DIR, info.builds.relaxedShared)).toBe(simdWasmFile(true, 'relaxed'));
  });

  it('import only a memory and carry no data, start or memory of their own (they must not write into tfjs memory)', () => {
    for (const file of [simdWasmFile(false, 'plain'), simdWasmFile(true, 'plain'), simdWasmFile(false, 'relaxed'), simdWasmFile(true, 'relaxed')]) {
      const bytes = new Uint8Array(fs.readFileSync(file));
      if (file.includes('relaxed') && !WA.validate(bytes)) continue; // this engine needs a flag for it: checked in the child below
      const mod = new WA.Module(bytes);
      expect(WA.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      expect(WA.Module.exports(mod).map((e) => e.name).sort()).toEqual(['conv2d_backprop_filter', 'conv2d_forward', 'conv3x3_winograd', 'pixel_shuffle', 'sum_rows', 'winograd_block_tiles']);
      const ids = sectionIds(bytes);
      for (const forbidden of [5 /* memory */, 8 /* start */, 11 /* data */, 12 /* data count */]) expect(ids).not.toContain(forbidden);
    }
  });

  it('link to the wasm backend in this process (the plain build here)', () => {
    expect(simdKernels(tf.backend())).not.toBeNull();
    expect(simdBuild(tf.backend())).toBe('plain');
    process.env.SRKD_SIMD_KERNELS = 'off';
    expect(simdKernels(tf.backend())).toBeNull();
  });
});

describe('SIMD Conv2DBackpropFilter matches the cpu backend', () => {
  it('both register tilings, ragged channel blocks, strides 1/2, same/valid, k 1/3/5', async () => {
    const rng = new Rng(31);
    const cases: KernelCase[] = [];
    // [x shape, k, cout, stride, pad]: along Cout (cout % 4 == 0) with cin 1..13 and cout 4 / 8k+4;
    // along Cin (cin % 4 == 0, cout ragged) with cin % 8 == 4 (the scalar half block) and cout 1..7.
    const specs: Array<[[number, number, number, number], number, number, number, 'same' | 'valid']> = [
      [[2, 9, 7, 1], 3, 4, 1, 'same'], [[1, 8, 8, 3], 3, 16, 1, 'same'], [[3, 6, 11, 13], 3, 12, 2, 'same'],
      [[2, 10, 9, 16], 1, 20, 1, 'valid'], [[1, 12, 12, 6], 5, 8, 2, 'valid'], [[2, 7, 13, 16], 5, 64, 1, 'same'],
      [[2, 10, 11, 16], 3, 3, 1, 'same'], [[1, 9, 9, 12], 3, 5, 2, 'same'], [[2, 8, 5, 4], 3, 1, 1, 'valid'],
      [[1, 11, 8, 24], 3, 7, 1, 'same'], [[2, 5, 5, 8], 5, 2, 2, 'same'],
    ];
    for (const [x, k, cout, s, pad] of specs) cases.push(backpropFilterCase(rng, x, filterOf(x, k, cout), s, pad));
    await expectMatchCpu(cases);
  });

  it('gives the same results as the XNNPACK fallback (SRKD_SIMD_KERNELS=off) on random shapes', async () => {
    const cases = convCases(new Rng(32), 16).filter((c) => c.kernel === 'Conv2DBackpropFilter');
    await expectMatchCpu(cases);
    process.env.SRKD_SIMD_KERNELS = 'off';
    await expectMatchCpu(cases);
  });

  it('leaks no tensors', () => {
    expect(tf.getBackend()).toBe('wasm');
    const x = tf.randomNormal([2, 8, 8, 16]);
    const dy = tf.randomNormal([2, 8, 8, 8]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 16, 8] } as unknown as tf.NamedAttrMap) as tf.Tensor;
      dw.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy]);
  });
});

describe('SIMD Conv2D / FusedConv2D / Conv2DBackpropInput match the cpu backend', () => {
  it('along Cout (Cout % 4 == 0) and along Cin (Cout 3): edges, rows shorter than 4 pixels, strides, pads, bias, ReLU', async () => {
    const rng = new Rng(33);
    const cases: KernelCase[] = [];
    const specs: Array<[[number, number, number, number], number, number, number, 'same' | 'valid' | number]> = [
      [[2, 9, 7, 3], 3, 16, 1, 'same'], [[1, 6, 13, 16], 3, 64, 1, 'same'], [[2, 5, 3, 16], 3, 12, 1, 'same'],
      [[1, 11, 10, 5], 5, 8, 2, 'same'], [[2, 8, 9, 16], 1, 4, 1, 'valid'], [[1, 10, 12, 7], 3, 20, 2, 'valid'],
      [[2, 9, 11, 16], 3, 3, 1, 'same'], [[1, 7, 3, 8], 3, 3, 1, 'same'], [[2, 12, 9, 4], 5, 3, 2, 'same'],
      [[1, 9, 10, 12], 3, 3, 1, 2], [[1, 8, 8, 16], 3, 8, 1, 0],
    ];
    specs.forEach(([x, k, cout, s, pad], i) => {
      cases.push(forwardConvCase(rng, x, filterOf(x, k, cout), s, pad, { bias: i % 3 !== 2, activation: i % 2 === 0 ? 'relu' : 'linear' }));
      cases.push(forwardConvCase(rng, x, filterOf(x, k, cout), s, pad));
    });
    await expectMatchCpu(cases);
    process.env.SRKD_SIMD_KERNELS = 'off';
    await expectMatchCpu(cases); // the XNNPACK fallback agrees too
  });

  it('Conv2DBackpropInput through the SIMD conv (stride 1), including 3 -> 16 and 16 -> 3 channel flips', async () => {
    const cases = convCases(new Rng(34), 16).filter((c) => c.kernel === 'Conv2DBackpropInput');
    const rng = new Rng(35);
    for (const [cin, cout] of [[3, 16], [16, 3], [64, 16], [16, 64]]) cases.push(backpropInputCase(rng, [2, 9, 10, cin], [3, 3, cin, cout], 1, 'same'));
    await expectMatchCpu(cases);
  });

  it('is bit-identical to XNNPACK where Cout % 4 == 0 (same summation order), so switching changes no results', () => {
    const rng = new Rng(36);
    const x = tf.tensor4d(randomInput(rng, [2, 12, 11, 16]).values as Float32Array, [2, 12, 11, 16]);
    const w = tf.tensor4d(randomInput(rng, [3, 3, 16, 8]).values as Float32Array, [3, 3, 16, 8]);
    const b = tf.tensor1d(randomInput(rng, [8]).values as Float32Array);
    const run = () => tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same', activation: 'relu' });
    const simd = run();
    process.env.SRKD_SIMD_KERNELS = 'off';
    const stock = run();
    expect(Array.from(simd.dataSync())).toEqual(Array.from(stock.dataSync()));
    tf.dispose([x, w, b, simd, stock]);
  });
});

describe('SIMD pixel-shuffle transposes', () => {
  it('equal the stock transposes bit for bit: r 2/3, C multiple of 4 or not, float32 and int32, and the op with its gradient', () => {
    const rng = new Rng(37);
    for (const [a, w, c, r] of [[6, 5, 16, 2], [3, 4, 6, 2], [4, 3, 5, 3], [1, 1, 4, 2], [2, 7, 8, 3]]) {
      const n = a * w * c * r * r;
      for (const dtype of ['float32', 'int32'] as const) {
        const values = dtype === 'float32'
          ? Float32Array.from({ length: n }, () => rng.normal())
          : Int32Array.from({ length: n }, () => rng.int(1 << 30) - (1 << 29));
        const fwdIn = tf.tensor(values, [a, w, c, r, r], dtype);
        const bwdIn = tf.tensor(values, [a, r, w, r, c], dtype);
        const got = [tf.transpose(fwdIn, [0, 3, 1, 4, 2]), tf.transpose(bwdIn, [0, 2, 4, 1, 3])].map((t) => Array.from(t.dataSync()));
        process.env.SRKD_SIMD_KERNELS = 'off'; // the kit's generic >4-D route
        const ref = [tf.transpose(fwdIn, [0, 3, 1, 4, 2]), tf.transpose(bwdIn, [0, 2, 4, 1, 3])].map((t) => Array.from(t.dataSync()));
        delete process.env.SRKD_SIMD_KERNELS;
        expect(got, `${[a, w, c, r]} ${dtype}`).toEqual(ref);
        // Independent index arithmetic for the forward one: out[a, i, w, j, c] = in[a, w, c, i, j].
        for (let k = 0; k < 20; k++) {
          const [ai, wi, ci, i, j] = [rng.int(a), rng.int(w), rng.int(c), rng.int(r), rng.int(r)];
          expect(got[0][(((ai * r + i) * w + wi) * r + j) * c + ci]).toBe(values[(((ai * w + wi) * c + ci) * r + i) * r + j]);
        }
        tf.dispose([fwdIn, bwdIn]);
      }
    }
  });

  it('the pixelShuffle gradient through them matches the cpu backend', async () => {
    const rng = new Rng(38);
    const cases: KernelCase[] = [[2, 5, 4, 16, 2], [1, 4, 3, 18, 3]].map(([n, h, w, c, r]) => ({
      kernel: 'Transpose',
      shape: `pixelShuffle ${[n, h, w, c].join('x')} r${r} + gradient`,
      inputs: [randomInput(rng, [n, h, w, c]), randomInput(rng, [n, h * r, w * r, c / (r * r)])],
      compute: ([x, dy]) => {
        const f = (t: tf.Tensor) => pixelShuffle(t as tf.Tensor4D, r);
        return [f(x), tf.grad(f)(x, dy)];
      },
    }));
    await expectMatchCpu(cases);
  });
});

describe('SIMD bias-gradient Sum', () => {
  it('equals the float64 row-order loop bit for bit (widths with and without a multiple of 8, one row, many rows)', () => {
    const rng = new Rng(39);
    for (const shape of [[8, 12, 12, 64], [3, 5, 7, 3], [1, 1, 1, 19], [2, 40, 40, 16], [5, 13]]) {
      const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 100);
      const x = tf.tensor(values, shape);
      const axes = shape.slice(0, -1).map((_, i) => i);
      const width = shape[shape.length - 1];
      const got = tf.sum(x, axes);
      const ref = Float32Array.from(sumRows(values, values.length / width, width));
      expect(Array.from(got.dataSync()), shape.join('x')).toEqual(Array.from(ref));
      tf.dispose([x, got]);
    }
  });
});

describe('relaxed SIMD build (fused multiply-add)', () => {
  it('is used with SRKD_RELAXED_SIMD=on and matches the cpu backend on conv cases and EDSR/RCAN/SwinIR steps', () => {
    const root = path.join(__dirname, '..', '..');
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'run-ts.js'), path.join(__dirname, 'relaxed-simd-child.ts')], {
      cwd: root, env: { ...process.env, SRKD_RELAXED_SIMD: 'on' }, encoding: 'utf8', timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.trim().split('\n').pop() as string;
    const got = JSON.parse(line) as { build: string; infoSimd: string; rows: number; failures: string[] };
    expect(got.build).toBe('relaxed');
    expect(got.infoSimd).toBe('relaxed');
    expect(got.rows).toBeGreaterThan(20);
    expect(got.failures).toEqual([]);
  });

  it('rejects a bad SRKD_RELAXED_SIMD value by name', () => {
    const root = path.join(__dirname, '..', '..');
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'run-ts.js'), path.join(__dirname, 'relaxed-simd-child.ts')], {
      cwd: root, env: { ...process.env, SRKD_RELAXED_SIMD: 'fast' }, encoding: 'utf8', timeout: 300_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("SRKD_RELAXED_SIMD must be auto, on or off (got 'fast')");
  });
});

describe('SIMD conv kernels on random shapes (fuzz against the cpu backend)', () => {
  it('forward (bias, ReLU), dX and dW over 60 random geometries, including the fallback routes (dilation 2)', async () => {
    const rng = new Rng(51);
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
    const cases: KernelCase[] = [];
    for (let i = 0; i < 60; i++) {
      const k = pick([1, 2, 3, 5]);
      const dilation = i % 10 === 9 ? 2 : 1; // Conv2D only: the gradient kernels reject dilation > 1 in tfjs-core
      const stride = dilation > 1 ? 1 : pick([1, 1, 2]); // tfjs-core: strides or dilations must be 1
      const pad = pick(['same', 'valid', Math.floor(k / 2)] as const);
      const n = pick([1, 2, 3]);
      const h = (k - 1) * dilation + 1 + rng.int(10);
      const w = (k - 1) * dilation + 1 + rng.int(10);
      const cin = pick([1, 3, 4, 5, 8, 12, 16, 24, 64]);
      const cout = pick([1, 2, 3, 4, 6, 8, 12, 16, 20, 64]);
      const xShape: Shape4 = [n, h, w, cin];
      const fShape: Shape4 = [k, k, cin, cout];
      cases.push(forwardConvCase(rng, xShape, fShape, stride, pad, { fused: true, bias: i % 2 === 0, activation: i % 4 === 0 ? 'relu' : 'linear', dilation }));
      if (dilation === 1 && tf.backend_util.computeConv2DInfo(xShape, fShape, stride, 1, pad).outShape.every((d) => d > 0)) {
        cases.push(backpropInputCase(rng, xShape, fShape, stride, pad), backpropFilterCase(rng, xShape, fShape, stride, pad));
      }
    }
    expect(cases.length).toBeGreaterThan(150);
    await expectMatchCpu(cases);
  });
});

describe('SIMD kernels free what they allocate', () => {
  it('leave the backend\'s data-id count flat over repeated fwd / dX / dW / pixel shuffle / bias sum (scratch filters included)', () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.randomNormal([2, 10, 9, 16]);
    const f3 = tf.randomNormal([3, 3, 16, 3]);
    const f8 = tf.randomNormal([3, 3, 16, 8]);
    const b3 = tf.randomNormal([3]);
    const dy8 = tf.randomNormal([2, 10, 9, 8]);
    const ps = tf.randomNormal([20, 9, 4, 2, 2]);
    const step = () => tf.tidy(() => {
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f3 as tf.Tensor4D, bias: b3, strides: 1, pad: 'same', activation: 'relu' }); // along Cin: transposed filter
      tf.conv2d(x as tf.Tensor4D, f8 as tf.Tensor4D, 1, 'same');
      tf.engine().runKernel('Conv2DBackpropInput', { dy: dy8, filter: f8 }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 10, 9, 16] } as unknown as tf.NamedAttrMap);
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dy8 }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 16, 8] } as unknown as tf.NamedAttrMap);
      tf.transpose(ps, [0, 3, 1, 4, 2]);
      tf.sum(dy8, [0, 1, 2]);
    });
    step();
    const before = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(backend.numDataIds()).toBe(before);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, f3, f8, b3, dy8, ps]);
  });
});

describe('Winograd F(2x2, 3x3) convolutions', () => {
  it('match the cpu backend: odd sizes, valid / same / pad 2, tile blocks across images, Cout % 8 == 4, bias, ReLU, dX', async () => {
    const rng = new Rng(61);
    const cases: KernelCase[] = [];
    // [x shape, cout, pad]: every one has Cin % 4 == 0 and (Cout >= 32 or Cin <= Cout), so it takes the Winograd path
    const specs: Array<[[number, number, number, number], number, 'same' | 'valid' | number]> = [
      [[3, 11, 9, 4], 4, 'same'], [[2, 7, 13, 16], 20, 'same'], [[1, 9, 9, 8], 12, 'valid'], [[2, 10, 7, 16], 32, 2],
      [[4, 6, 6, 64], 64, 'same'], [[1, 3, 3, 4], 8, 'same'], [[2, 5, 4, 12], 36, 'valid'],
    ];
    specs.forEach(([x, cout, pad], i) => cases.push(forwardConvCase(rng, x, filterOf(x, 3, cout), 1, pad, { bias: i % 2 === 0, activation: i % 3 === 0 ? 'relu' : 'linear' })));
    // dX = a 3x3 conv from Cout to Cin channels: 4 -> 16 and 16 -> 32 take Winograd, 16 -> 4 does not
    for (const [cin, cout] of [[16, 4], [32, 16], [4, 16]]) cases.push(backpropInputCase(rng, [2, 9, 8, cin], [3, 3, cin, cout], 1, 'same'));
    await expectMatchCpu(cases);
  });
});
