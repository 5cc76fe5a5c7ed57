import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import {
  KernelCase, KernelCheckRow, backpropFilterCase, batchMatMulCases, depthwiseCases, checkCases, checkKernelsAgainstCpu, convCases, edsrCase,
  identityCases, rcabCase, segmentSumCases, sliceCases, sumCases, swinCase, transposeCases,
} from '../../lib/backend/gradient-check';
import { registerWasmTrainingKernels } from '../../lib/backend/wasm-kernels/index';
import { setConv2dBackpropFilterBandRows } from '../../lib/backend/wasm-kernels/conv2d-backprop-filter';
import { simplifyPermutation, transposeChoices } from '../../lib/backend/wasm-kernels/transpose';
import { Rng } from '../../lib/util/rng';

// Tolerances (see gradient-check.ts): normwise relative error <= 1e-4 per output, i.e. the absolute error
// is bounded by 1e-4 x the largest reference magnitude; float32 accumulation over these sizes stays
// below ~1e-6 relative, while a layout or index bug gives errors of order 1.

const KIT = [
  'Conv2DBackpropFilter', 'UnsortedSegmentSum', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput',
  'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'BatchMatMul', 'Transpose', 'Slice', 'Sum', 'Identity',
];

function failures(rows: readonly KernelCheckRow[]): string[] {
  return rows
    .filter((r) => !r.ok)
    .map((r) => `${r.kernel} ${r.shape}: abs ${r.maxAbsErr.toExponential(2)} rel ${r.maxRelErr.toExponential(2)}`);
}

async function expectAllMatch(cases: readonly KernelCase[]): Promise<KernelCheckRow[]> {
  const rows = await checkCases(cases, 'wasm');
  expect(rows).toHaveLength(cases.length);
  expect(failures(rows)).toEqual([]);
  expect(tf.getBackend()).toBe('wasm');
  return rows;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm', announce: false });
});

describe('registerWasmTrainingKernels', () => {
  it('registers the kit kernels for wasm and is idempotent', () => {
    const names = registerWasmTrainingKernels();
    expect([...names].sort()).toEqual([...KIT].sort());
    expect(registerWasmTrainingKernels()).toEqual(names);
    for (const k of KIT) expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('kit kernels match the cpu backend', () => {
  it('Conv2DBackpropFilter / Conv2DBackpropInput: k 1/3, same/valid, stride 1/2, odd sizes, batch 1..3, 3..64 channels', async () => {
    const rows = await expectAllMatch(convCases(new Rng(11), 24));
    expect(rows.filter((r) => r.kernel === 'Conv2DBackpropFilter')).toHaveLength(24);
  });

  it('Conv2DBackpropFilter with Cout < Cin (swapped roles) and wide 64-channel convs', async () => {
    const rng = new Rng(12);
    const cases = ([[64, 3, 3, 'same'], [64, 64, 3, 'same'], [32, 5, 3, 'valid'], [13, 4, 1, 'same']] as const)
      .map(([cin, cout, k, pad]) => backpropFilterCase(rng, [2, 9, 11, cin], [k, k, cin, cout], 1, pad));
    await expectAllMatch(cases);
  });

  it('Conv2DBackpropFilter in dy row bands (>= 128 channels, and forced 2-3 row bands with stride 1/2)', async () => {
    const wide = convCases(new Rng(14), 8).filter((c) => c.kernel === 'Conv2DBackpropFilter');
    await expectAllMatch(wide); // default rule: whole dy unless a channel count is >= 128
    const rng = new Rng(15);
    const cases = ([[8, 128, 1, 'same'], [16, 160, 2, 'valid'], [128, 130, 2, 'same']] as const)
      .map(([cin, cout, stride, pad]) => backpropFilterCase(rng, [2, 9, 7, cin], [3, 3, cin, cout], stride, pad));
    await expectAllMatch(cases);
    try {
      for (const rows of [2, 3]) {
        setConv2dBackpropFilterBandRows(rows);
        await expectAllMatch(wide);
      }
    } finally {
      setConv2dBackpropFilterBandRows(null);
    }
  });

  it('conv2d gradients through tf.grads (dx and dw, stride 1 and 2)', async () => {
    const rng = new Rng(13);
    const cases: KernelCase[] = [];
    for (const stride of [1, 2] as const) {
      for (const pad of ['same', 'valid'] as const) {
        const xShape = [2, 9, 7, 6];
        const fShape = [3, 3, 6, 10];
        const yShape = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number], stride, 1, pad).outShape;
        const mk = (shape: number[]) => {
          const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
          for (let i = 0; i < v.length; i++) v[i] = rng.normal();
          return { shape, dtype: 'float32' as const, values: v };
        };
        cases.push({
          kernel: 'conv2d grads',
          shape: `s${stride} ${pad}`,
          inputs: [mk(xShape), mk(fShape), mk(yShape)],
          compute: ([x, f, w]) => tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), w)))([x, f]),
        });
      }
    }
    await expectAllMatch(cases);
  });

  it('BatchMatMul: every transpose-flag combination for batch 1, 2-D rhs, batch-1 lhs and equal batches', async () => {
    const rows = await expectAllMatch(batchMatMulCases(new Rng(21), 3));
    expect(rows).toHaveLength(48);
  });

  it('BatchMatMul gradients (matMul with flags, batched)', async () => {
    const rng = new Rng(22);
    const cases: KernelCase[] = [];
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const [b, m, k, n] = [3, 5, 7, 4];
      const aShape = ta ? [b, k, m] : [b, m, k];
      const bShape = tb ? [b, n, k] : [b, k, n];
      const mk = (shape: number[]) => {
        const v = new Float32Array(shape.reduce((p, q) => p * q, 1));
        for (let i = 0; i < v.length; i++) v[i] = rng.normal();
        return { shape, dtype: 'float32' as const, values: v };
      };
      cases.push({
        kernel: 'matMul grads',
        shape: `ta=${ta} tb=${tb}`,
        inputs: [mk(aShape), mk(bShape), mk([b, m, n])],
        compute: ([x, y, w]) => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([x, y]),
      });
    }
    await expectAllMatch(cases);
  });

  it('Transpose: random rank-5 and rank-6 shapes and permutations', async () => {
    await expectAllMatch(transposeCases(new Rng(31), 40));
  });

  it('UnsortedSegmentSum, directly and as the gradient of gather', async () => {
    await expectAllMatch(segmentSumCases(new Rng(41), 8));
  });

  it('Slice (rank 1..5, random offsets) and its gradient', async () => {
    await expectAllMatch(sliceCases(new Rng(42), 25));
  });

  it('depthwise conv gradients (dx and dw): k 1/3, multiplier 1/2, same/valid, stride 1/2', async () => {
    await expectAllMatch(depthwiseCases(new Rng(44), 12));
  });

  it('Sum over leading axes (bias gradient) and over other axes, with and without keepDims', async () => {
    await expectAllMatch(sumCases(new Rng(43), 12));
  });

  it('Identity (zero-copy clone) survives disposal of the tensors it shares data with', async () => {
    await expectAllMatch(identityCases(new Rng(45), 8));
  });
});

describe('Transpose: every rank-5 and rank-6 permutation', () => {
  function permutations(n: number): number[][] {
    if (n === 1) return [[0]];
    const out: number[][] = [];
    for (const p of permutations(n - 1)) {
      for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
    }
    return out;
  }
  function reference(x: Float32Array, shape: number[], perm: number[]): Float32Array {
    const r = shape.length;
    const inStrides = new Array<number>(r);
    let s = 1;
    for (let i = r - 1; i >= 0; i--) {
      inStrides[i] = s;
      s *= shape[i];
    }
    const outShape = perm.map((p) => shape[p]);
    const out = new Float32Array(x.length);
    const idx = new Array<number>(r).fill(0);
    for (let o = 0; o < out.length; o++) {
      let src = 0;
      for (let i = 0; i < r; i++) src += idx[i] * inStrides[perm[i]];
      out[o] = x[src];
      for (let i = r - 1; i >= 0; i--) {
        if (++idx[i] < outShape[i]) break;
        idx[i] = 0;
      }
    }
    return out;
  }
  for (const shape of [[2, 3, 4, 5, 3], [2, 3, 1, 2, 3, 2], [3, 2, 2, 3, 2, 2]]) {
    it(`shape ${shape.join('x')}`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: n }, (_, i) => i);
      const x = tf.tensor(values, shape);
      const bad: string[] = [];
      for (const perm of permutations(shape.length)) {
        const y = tf.transpose(x, perm);
        const got = y.dataSync() as Float32Array;
        const want = reference(values, shape, perm);
        if (y.shape.join() !== perm.map((p) => shape[p]).join() || got.some((v, i) => v !== want[i])) bad.push(perm.join(','));
        y.dispose();
      }
      x.dispose();
      expect(bad).toEqual([]);
    });
  }

  it('large >4-D transposes (timed stock-vs-kit choice) are exact on both paths', () => {
    const shape = [8, 16, 3, 6, 10]; // 23040 elements: below the autotune threshold (always decomposed)
    const big = [16, 16, 3, 6, 10]; // 46080: timed once, then the faster path
    for (const s of [shape, big]) {
      const n = s.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: n }, (_, i) => i);
      const x = tf.tensor(values, s);
      for (const perm of [[2, 0, 3, 1, 4], [0, 3, 1, 4, 2], [4, 3, 2, 1, 0]]) {
        for (let rep = 0; rep < 2; rep++) {
          const y = tf.transpose(x, perm);
          expect(Array.from(y.dataSync())).toEqual(Array.from(reference(values, s, perm)));
          y.dispose();
        }
      }
      x.dispose();
    }
    expect(transposeChoices().size).toBeGreaterThan(0);
  });

  it('simplifyPermutation drops unit axes and merges adjacent ones', () => {
    expect(simplifyPermutation([2, 3, 4, 5], [0, 1, 3, 2])).toEqual({ shape: [6, 4, 5], perm: [0, 2, 1] });
    expect(simplifyPermutation([2, 1, 4], [2, 1, 0])).toEqual({ shape: [2, 4], perm: [1, 0] });
    expect(simplifyPermutation([144, 64, 3, 6, 10], [2, 0, 3, 1, 4])).toEqual({
      shape: [144, 64, 3, 6, 10], perm: [2, 0, 3, 1, 4],
    });
  });
});

describe('tf.variableGrads of small networks match the cpu backend', () => {
  it('EDSR-like residual block with reshape/transpose pixel shuffle (64 -> 3 tail)', async () => {
    await expectAllMatch([edsrCase(new Rng(51)), edsrCase(new Rng(52), 64, 1, 5)]);
  });

  it('RCAN channel-attention block', async () => {
    await expectAllMatch([rcabCase(new Rng(61)), rcabCase(new Rng(62), 32, 16, 1, 5)]);
  });

  it('Swin block (layer norm, 2-D dense, batched attention, gathered bias table, exact GELU, roll)', async () => {
    await expectAllMatch([swinCase(new Rng(71)), swinCase(new Rng(72), 8, 2, 2, 4, 1)]);
  });

  it('checkKernelsAgainstCpu runs every family and restores the backend', async () => {
    const rows = await checkKernelsAgainstCpu({ cases: 2, seed: 3 });
    const kernels = new Set(rows.map((r) => r.kernel));
    for (const k of [...KIT.filter((n) => !n.startsWith('Depthwise')), 'DepthwiseConv2dNativeBackprop', 'net:edsr-block', 'net:rcab', 'net:swin-block']) {
      expect(kernels.has(k), k).toBe(true);
    }
    expect(failures(rows)).toEqual([]);
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('kit kernels free their intermediates', () => {
  it('no backend buffer survives a kernel call beyond its output', () => {
    const rng = new Rng(91);
    const cases = [
      ...convCases(rng, 8), ...batchMatMulCases(rng, 1), ...transposeCases(rng, 4), ...segmentSumCases(rng, 2),
      ...sliceCases(rng, 5), ...sumCases(rng, 3), ...identityCases(rng, 2),
    ];
    for (const c of cases) {
      const xs = c.inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype));
      const before = tf.memory().numDataBuffers;
      tf.dispose(tf.tidy(() => c.compute(xs)));
      expect(tf.memory().numDataBuffers, `${c.kernel} ${c.shape}`).toBe(before);
      tf.dispose(xs);
    }
  });

  it('dense-layer weight gradient shapes (x^T dy with many rows), both orientations', async () => {
    const rng = new Rng(92);
    const cases: KernelCase[] = [];
    for (const [p, m, n, tb] of [[700, 6, 18, false], [700, 18, 6, false], [500, 5, 9, true]] as const) {
      const mk = (shape: number[]) => {
        const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
        for (let i = 0; i < v.length; i++) v[i] = rng.normal();
        return { shape, dtype: 'float32' as const, values: v };
      };
      cases.push({
        kernel: 'BatchMatMul',
        shape: `x ${p}x${m} ^T dy ${tb ? `${n}x${p}^T` : `${p}x${n}`}`,
        inputs: [mk([p, m]), mk(tb ? [n, p] : [p, n])],
        compute: ([a, b]) => [tf.matMul(a, b, true, tb)],
      });
    }
    await expectAllMatch(cases);
  });
});

describe('a training step runs on wasm', () => {
  it('Adam steps on each block give finite, decreasing losses and leak no tensors', () => {
    for (const make of [edsrCase, rcabCase, swinCase]) {
      const c = make(new Rng(81));
      const [xIn, wIn, ...pIn] = c.inputs;
      const x = tf.tensor(xIn.values, xIn.shape);
      const w = tf.tensor(wIn.values, wIn.shape);
      const vars = pIn.map((p) => tf.variable(tf.tensor(p.values, p.shape)));
      // Re-use the case's computation graph through its compute(): it returns [loss, ...grads].
      const opt = tf.train.adam(1e-3);
      const losses: number[] = [];
      const before = tf.memory().numTensors;
      for (let step = 0; step < 3; step++) {
        tf.tidy(() => {
          const [loss, ...grads] = c.compute([x, w, ...vars]);
          losses.push(loss.dataSync()[0]);
          opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
        });
        if (step === 0) expect(tf.memory().numTensors).toBeGreaterThan(before); // optimiser slots
      }
      const afterWarm = tf.memory().numTensors;
      const buffersAfterWarm = tf.memory().numDataBuffers; // backend buffers: catches leaked intermediates
      tf.tidy(() => {
        const [, ...grads] = c.compute([x, w, ...vars]);
        opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
      });
      expect(tf.memory().numTensors).toBe(afterWarm);
      expect(tf.memory().numDataBuffers).toBe(buffersAfterWarm);
      expect(losses.every(Number.isFinite), c.kernel).toBe(true);
      expect(losses[2], c.kernel).toBeLessThan(losses[0]);
      opt.dispose();
      tf.dispose([x, w, ...vars]);
    }
  });
});
