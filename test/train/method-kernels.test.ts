/**
 * The start-up kernel check of a training run (lib/train/method-kernels.ts) off webgpu: the tiny copy of a
 * paper-sized run keeps the method, shrinks nets, batch and patch within the config checks and drops weight
 * files; one recorded CSD iteration lists its feature network's and optimiser's kernels; wasm has them all;
 * the check is a no-op on wasm. (On webgpu: test/train/webgpu-methods.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { missingKernels } from '../../lib/backend/kernel-check';
import { trainPreset } from '../../lib/config/presets';
import type { TrainConfig } from '../../lib/config/train';
import { assertMethodKernels, methodKernels, tinyRun } from '../../lib/train/method-kernels';

const paper = (method: 'csd' | 'dckd' | 'dukd', scale: 2 | 4 = 4): TrainConfig => ({
  ...trainPreset('paper', { method, scale, findWeights: () => null }), teacherWeights: '/nowhere/teacher.pth',
});

describe('tinyRun', () => {
  it('CSD x4: the 256x32 pair becomes a 4x1 teacher and its 1-feature slice; batch 2, the smallest valid patch, no files', () => {
    const cfg = paper('csd');
    const tiny = tinyRun({ ...cfg, method: { ...cfg.method, featureWeights: '/nowhere/vgg19.pth' } as TrainConfig['method'] });
    expect(tiny.teacher).toEqual({ arch: 'edsr', feats: 4, blocks: 1, resScale: 0.1 });
    expect(tiny.student).toEqual({ arch: 'edsr', feats: 1, blocks: 1, resScale: 0.1 });
    expect(tiny.data.batchSize).toBe(2);
    expect(tiny.data.patchSizeLr).toBe(4); // the smallest that passes CSD's 16-px SR rule at x4
    expect(tiny.teacherWeights).toBeNull();
    expect((tiny.method as { featureWeights: unknown }).featureWeights).toBeNull();
    expect((tiny.method as { negatives: number }).negatives).toBe(2); // at most the batch
    expect(cfg.teacher).toEqual({ arch: 'edsr', feats: 256, blocks: 32, resScale: 0.1 }); // the input is left as it was
  });

  it('DCKD: the history schedule fires at the recorded step; the patch is the smallest valid one from `fromPatch`', () => {
    const tiny = tinyRun(paper('dckd', 2));
    expect((tiny.method as unknown as { historyEvery: number[] }).historyEvery).toEqual([1, 1, 1]);
    expect(tiny.data.patchSizeLr).toBe(8);
    expect(tinyRun(paper('dckd')).data.patchSizeLr).toBe(4); // x4
    expect(tinyRun(paper('dckd'), 6).data.patchSizeLr).toBe(6);
  });

  it('a run no tiny copy can satisfy is named', () => {
    const bad = { ...paper('dckd', 2), data: { ...paper('dckd', 2).data, patchSizeLr: 4 } }; // 8-px SR: below DCKD's 16
    expect(() => tinyRun(bad)).toThrow(/kernel check: no tiny copy of the run passes the config checks \(.*patchSizeLr/);
  });
});

describe('methodKernels', () => {
  it('one CSD iteration: convs both ways, VGG pooling and its gradient, Adam; all registered on wasm; recorded once', async () => {
    await initBackend({ backend: 'wasm', announce: false });
    const cfg = paper('csd');
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const names = await methodKernels(cfg);
    const first = performance.now() - t0;
    expect(names).toEqual(expect.arrayContaining(['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPool', 'MaxPoolGrad', 'Sqrt', 'Abs']));
    expect(names).toEqual([...names].sort());
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.getBackend()).toBe('wasm'); // restored after the recording on cpu
    expect(missingKernels(names, 'wasm')).toEqual([]);
    await expect(assertMethodKernels(cfg)).resolves.toBeUndefined(); // a no-op off webgpu
    const t1 = performance.now();
    expect(await methodKernels(cfg)).toEqual(names);
    expect(performance.now() - t1).toBeLessThan(first);
  });

  it("a tiny copy that passes the checks but cannot run retries with doubled patches (SwinIR x4 zoom-out: 1-px input at patch 4)", async () => {
    const swin = { arch: 'swinir', embedDim: 60, depths: [6, 6, 6, 6], heads: [6, 6, 6, 6], windowSize: 8, mlpRatio: 2, upsampler: 'pixelshuffledirect', upsampleFeats: 64 } as const;
    const cfg = { ...trainPreset('paper', { method: 'dukd-full', student: swin, scale: 4 }), teacher: swin };
    expect(tinyRun(cfg).data.patchSizeLr).toBeLessThan(8);
    const names = await methodKernels(cfg);
    expect(names).toEqual(expect.arrayContaining(['BatchMatMul', 'Softmax', 'Conv2DBackpropFilter']));
  });
});
