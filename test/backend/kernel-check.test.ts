import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import {
  assertBackboneKernels, assertKernelsRegistered, backboneKernels, missingKernels, recordKernels, tinyArch,
} from '../../lib/backend/kernel-check';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig } from '../../lib/models/types';
import type { Scale } from '../../lib/types';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', announce: false });
});

/** The kernels of one full training step of `arch` itself (no shrinking), as backboneKernels records them. */
async function fullStepKernels(arch: ArchConfig, scale: Scale, size: number): Promise<string[]> {
  return recordKernels(() => {
    const net = buildModel(arch, scale, { seed: 1 });
    const lr = tf.randomUniform([1, size, size, 3]) as tf.Tensor4D;
    const hr = tf.randomUniform([1, size * scale, size * scale, 3]);
    const adam = tf.train.adam(1e-4);
    const vars = [...net.params.values()];
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(net.forward(lr, { taps: [] }).out, hr))) as tf.Scalar, vars);
    adam.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
    tf.dispose([value, grads, lr, hr]);
    adam.dispose();
    net.dispose();
  });
}

describe('kernel check', () => {
  it('records forward and gradient kernels on cpu, drops op scopes, and restores the backend', async () => {
    const before = tf.memory().numTensors;
    const names = await recordKernels(() => {
      const x = tf.randomNormal([1, 5, 5, 2]) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 2, 4]) as tf.Tensor4D;
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))([x, w]);
      tf.dispose([x, w, dx, dw]);
    });
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.memory().numTensors).toBe(before);
    for (const k of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Sum']) expect(names).toContain(k);
    expect(names).toEqual([...names].sort());
    expect(names.every((k) => tf.getKernel(k, 'cpu') !== undefined)).toBe(true);
  });

  it('the tiny copy needs the same kernels as the real network (EDSR, RCAN, SwinIR with an 8-pixel window)', async () => {
    const cases: Array<[ArchConfig, Scale, number]> = [
      [{ arch: 'edsr', feats: 16, blocks: 3, resScale: 0.1 }, 4, 5],
      [{ arch: 'rcan', feats: 32, groups: 2, blocks: 2, reduction: 16, resScale: 1 }, 3, 5],
      [{ arch: 'swinir', embedDim: 12, depths: [3, 2], heads: [3, 2], windowSize: 8, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 8 }, 2, 9],
    ];
    for (const [arch, scale, size] of cases) {
      const tiny = tinyArch(arch);
      expect(tiny.arch).toBe(arch.arch);
      expect(await backboneKernels(arch, scale), arch.arch).toEqual(await fullStepKernels(arch, scale, size));
    }
  });

  it('lists every missing kernel, naming the computation and the backend', () => {
    expect(missingKernels(['Conv2D', 'NoSuchKernel'], 'wasm')).toEqual(['NoSuchKernel']);
    expect(() => assertKernelsRegistered(['Conv2D', 'NoSuchKernel', 'Nope2'], 'a test graph', 'wasm')).toThrow(
      "backend 'wasm' lacks 2 kernel(s) that a test graph needs: NoSuchKernel, Nope2",
    );
    expect(() => assertKernelsRegistered(['Conv2D', 'Conv2DBackpropFilter'], 'a test graph', 'wasm')).not.toThrow();
  });

  it('the wasm backend with the kit kernels has every kernel of every backbone (training and inference)', async () => {
    const archs: Array<[ArchConfig, Scale]> = [
      [{ arch: 'edsr', feats: 64, blocks: 16, resScale: 1 }, 3],
      [{ arch: 'rcan', feats: 64, groups: 10, blocks: 20, reduction: 16, resScale: 1 }, 4],
      [{ arch: 'swinir', embedDim: 60, depths: [6, 6, 6, 6], heads: [6, 6, 6, 6], windowSize: 8, mlpRatio: 2, upsampler: 'pixelshuffledirect', upsampleFeats: 64 }, 2],
    ];
    for (const [arch, scale] of archs) {
      expect(missingKernels(await backboneKernels(arch, scale), 'wasm'), arch.arch).toEqual([]);
      expect(missingKernels(await backboneKernels(arch, scale, { training: false }), 'wasm'), arch.arch).toEqual([]);
    }
    await expect(assertBackboneKernels(archs[0][0], 3)).resolves.toBeUndefined(); // a no-op off webgpu
  });
});
