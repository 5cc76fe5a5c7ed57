// The method-step bench: FLOPs counted from executed kernels agree with the analytic model count, a whole DUKD
// iteration runs through the in-process engine, and the GPU peak table / override behave.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import type { WebgpuAdapter } from '../../lib/backend/webgpu';
import { countFlops, describeProfile, kernelFlops } from '../../lib/bench/flop-count';
import { gpuPeakTflops, paperMethodCase, timeMethodStep } from '../../lib/bench/method-step';
import { runBenchmarks } from '../../lib/bench/index';
import { trainPreset } from '../../lib/config/presets';
import { analyticMacs } from '../../lib/models/archs/index';
import { buildModel } from '../../lib/models/build';

describe('kernel FLOP count', () => {
  it('conv and matmul kernels by hand', () => {
    // 3x3 conv, 4 -> 8 channels, output 1x5x5x8: 2 * 200 * 36
    expect(kernelFlops('Conv2D', [[1, 5, 5, 4], [3, 3, 4, 8]], [[1, 5, 5, 8]])).toBe(2 * 200 * 36);
    expect(kernelFlops('Conv2DBackpropInput', [[1, 5, 5, 8], [3, 3, 4, 8]], [[1, 5, 5, 4]])).toBe(2 * 200 * 36);
    expect(kernelFlops('Conv2DBackpropFilter', [[1, 5, 5, 4], [1, 5, 5, 8]], [[3, 3, 4, 8]])).toBe(2 * 200 * 36);
    // [2,3,4] x [2,4,5]: 2 batches of 3x5 outputs, 4 multiply-adds each
    expect(kernelFlops('BatchMatMul', [[2, 3, 4], [2, 4, 5]], [[2, 3, 5]])).toBe(2 * 30 * 4);
    expect(kernelFlops('Relu', [[1, 5, 5, 8]], [[1, 5, 5, 8]])).toBe(0);
  });

  it('an EDSR forward counts what the analytic model count says', async () => {
    await initBackend({ announce: false });
    const arch = { arch: 'edsr' as const, feats: 8, blocks: 2, resScale: 1 };
    const net = buildModel(arch, 2, { seed: 0 });
    const x = tf.randomUniform([2, 12, 12, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const { flops, result, kernels, kernelSeconds, byName } = await countFlops(() => net.forward(x, { taps: [] }).out);
    expect(flops / (2 * 2 * analyticMacs(arch, 2, 12, 12))).toBeCloseTo(1, 6);
    // head, 2 blocks of 2 convs, body conv, upsampler conv, tail: 8 convolutions (FusedConv2D on wasm); the per-name table adds up
    expect(byName.filter((k) => k.name.includes('Conv2D')).reduce((a, k) => a + k.calls, 0)).toBe(8);
    expect(byName.reduce((a, k) => a + k.calls, 0)).toBe(kernels);
    expect(byName.reduce((a, k) => a + k.flops, 0)).toBe(flops);
    expect(kernelSeconds).toBeGreaterThan(0); // the cpu/wasm backends time each kernel call
    expect(byName.map((k) => k.seconds ?? 0)).toEqual([...byName.map((k) => k.seconds ?? 0)].sort((a, b) => b - a));
    tf.dispose([x, result]);
    net.dispose();
  });
});

describe('timeMethodStep', () => {
  it('times a quick DUKD x4 iteration; the teacher passes make it more work than Scratch', async () => {
    await initBackend({ announce: false });
    const before = tf.memory().numTensors;
    const dukd = await timeMethodStep(paperMethodCase(true), 1);
    const q = paperMethodCase(true);
    const scratch = await timeMethodStep({ ...trainPreset('quick', { method: 'scratch', scale: 4 }), data: q.data }, 1);
    expect(tf.memory().numTensors).toBe(before);
    expect(dukd.secondsMedian).toBeGreaterThan(0);
    // each iteration's ops are issued before its losses are awaited, so the medians are ordered too
    expect(dukd.hostSecondsMedian).toBeGreaterThan(0);
    expect(dukd.hostSecondsMedian).toBeLessThanOrEqual(dukd.secondsMedian);
    // Scratch: the student's forward and backward on the batch (about 3 forwards, minus the first conv's dX)
    const fwd = 2 * q.data.batchSize * analyticMacs(q.student, 4, q.data.patchSizeLr, q.data.patchSizeLr) / 1e9;
    expect(scratch.gflopPerIteration / fwd).toBeGreaterThan(2.8);
    expect(scratch.gflopPerIteration / fwd).toBeLessThanOrEqual(3 + 1e-9);
    expect(dukd.gflopPerIteration).toBeGreaterThan(scratch.gflopPerIteration * 1.5);
    expect(dukd.projectedHours).toBeCloseTo((dukd.secondsMedian * q.totalSteps) / 3600, 9);
    expect(dukd.fractionOfPeak).toBeNull(); // no GPU here
    expect(dukd.note).toMatch(/dukd x4, teacher EDSR 16x4, student EDSR 8x2/);
    expect(dukd.profile.kernels).toBeGreaterThan(scratch.profile.kernels);
    expect(dukd.profile.busyFraction).toBeGreaterThan(0);
    expect(dukd.profile.top.length).toBe(6);
    expect(dukd.profile.top.some((k) => k.name.startsWith('Conv2D') && k.tflops !== null && k.tflops > 0)).toBe(true);
  });

  it('the paper case is the paper preset: EDSR 256x32 teacher, 64x32 student, batch 16, LR 48, 250k steps', () => {
    const c = paperMethodCase(false);
    expect(c.teacher).toMatchObject({ arch: 'edsr', feats: 256, blocks: 32 });
    expect(c.student).toMatchObject({ arch: 'edsr', feats: 64, blocks: 32 });
    expect([c.scale, c.data.batchSize, c.data.patchSizeLr, c.totalSteps, c.method.kind]).toEqual([4, 16, 48, 250_000, 'dukd']);
  });

  it('runBenchmarks runs the method case on request and says the peak is unknown', async () => {
    const rows = await runBenchmarks({ cases: ['dukd-paper'], quick: true, repeats: 1, torch: false, log: () => {} });
    expect(rows).toHaveLength(1);
    expect(rows[0].case).toBe('dukd-paper');
    expect(rows[0].method?.gflopPerIteration).toBeGreaterThan(0);
    expect(rows[0].note).toMatch(/FP32 peak unknown/);
    expect(rows[0].note).toMatch(/\d+ kernels\/iteration busy \d+ % of the step \(\w+ \d+ %/);
  });

  it('describeProfile names the busy share and the slowest kernels; says so when the backend times none', () => {
    const top = [
      { name: 'Conv2DBackpropFilter', calls: 10, seconds: 0.3, flops: 6e11, tflops: 2 },
      { name: 'Conv2D', calls: 20, seconds: 0.1, flops: 4e11, tflops: 4 },
      { name: 'Add', calls: 50, seconds: 0.1, flops: 0, tflops: null },
    ];
    expect(describeProfile({ kernels: 80, dispatches: null, kernelSeconds: 0.5, busyFraction: 0.25, top }))
      .toBe('80 kernels/iteration busy 25 % of the step (Conv2DBackpropFilter 60 % at 2.00 TFLOP/s, Conv2D 20 % at 4.00 TFLOP/s, Add 20 %)');
    expect(describeProfile({ kernels: 80, dispatches: null, kernelSeconds: null, busyFraction: null, top: [] })).toBe('80 kernels/iteration (no kernel times on this backend)');
    // webgpu: the shader runs beside the kernel count (Identity, Reshape and the like dispatch nothing)
    expect(describeProfile({ kernels: 80, dispatches: 52, kernelSeconds: null, busyFraction: null, top: [] }))
      .toBe('80 kernels/iteration (52 GPU dispatches) (no kernel times on this backend)');
  });
});

describe('gpuPeakTflops', () => {
  const adapter = (device: string, software = false) => ({ device, description: '', software }) as unknown as WebgpuAdapter;
  it('matches data-sheet GPUs, never a software adapter; the env override wins and is checked', () => {
    expect(gpuPeakTflops(adapter('NVIDIA H100 80GB HBM3'), {})).toBe(67);
    expect(gpuPeakTflops(adapter('NVIDIA H100 PCIe'), {})).toBe(51);
    expect(gpuPeakTflops(adapter('NVIDIA A100-SXM4-40GB'), {})).toBe(19.5);
    expect(gpuPeakTflops(adapter('llvmpipe (LLVM 15.0.6, 256 bits)', true), {})).toBeNull();
    expect(gpuPeakTflops(adapter('Some Future GPU'), {})).toBeNull();
    expect(gpuPeakTflops(null, { SRKD_GPU_PEAK_TFLOPS: '30' })).toBe(30);
    expect(() => gpuPeakTflops(null, { SRKD_GPU_PEAK_TFLOPS: 'fast' })).toThrow(/SRKD_GPU_PEAK_TFLOPS.*"fast"/);
  });
});
