/**
 * Stochastic depth of SwinIR (BasicSR drop_path_rate): rates rise linearly over blocks; off at inference; a Swin
 * block with fixed keep decisions equals the hand-computed x / keep * mask residuals; draws are keyed by
 * (seed, step, phase, call, sample, block, branch). Config: paper SwinIR students 0.1, teacher 0, others null.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { PRESETS, trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import { configHash } from '../../lib/config/hash';
import { upgradeStoredConfig, type TrainConfig } from '../../lib/config/train';
import { buildModel } from '../../lib/models/build';
import { dropPathRates, hashUniform, keepMask, type DropPathContext } from '../../lib/models/layers/drop-path';
import { gelu } from '../../lib/models/layers/gelu';
import { layerNorm } from '../../lib/models/layers/layer-norm';
import { linear } from '../../lib/models/layers/linear';
import { relativePositionOneHot } from '../../lib/models/layers/relative-position';
import { windowAttention } from '../../lib/models/layers/window-attention';
import { windowMerge, windowPartition } from '../../lib/models/layers/window-partition';
import { swinLayer } from '../../lib/models/swinir';
import type { ArchConfig, SRNet } from '../../lib/models/types';

const SWIN: ArchConfig = { arch: 'swinir', embedDim: 8, depths: [2, 2], heads: [2, 2], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffledirect', upsampleFeats: 64 };
const CTX: DropPathContext = { rate: 0.5, seed: 3, step: 7, phase: 1, sampleOffset: 0 };

beforeAll(async () => {
  await initBackend({ backend: 'cpu', announce: false });
});

const input = (b: number): tf.Tensor4D => tf.tidy(() => tf.add(tf.mul(tf.sin(tf.range(0, b * 8 * 8 * 3).reshape([b, 8, 8, 3])), 0.4), 0.5) as tf.Tensor4D);
const run = (net: SRNet, x: tf.Tensor4D): Float32Array => tf.tidy(() => net.forward(x).out).dataSync() as Float32Array;

describe('drop path rates and draws', () => {
  it('rates are torch.linspace(0, rate, blocks): the first block never drops', () => {
    expect(dropPathRates(0.1, 4).map((r) => +r.toFixed(12))).toEqual([0, 0.033333333333, 0.066666666667, 0.1]);
    expect(dropPathRates(0.1, 1)).toEqual([0]);
  });
  it('keep decisions are 0/1 with frequency keep, depend on every key, and repeat for the same keys', () => {
    let kept = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) kept += keepMask({ ...CTX, step: i }, 0, 3, 0, 1, 0.3)[0];
    expect(Math.abs(kept / n - 0.7)).toBeLessThan(0.015);
    const a = keepMask(CTX, 0, 3, 0, 64, 0.5);
    expect(keepMask(CTX, 0, 3, 0, 64, 0.5)).toEqual(a);
    for (const other of [keepMask({ ...CTX, seed: 4 }, 0, 3, 0, 64, 0.5), keepMask({ ...CTX, step: 8 }, 0, 3, 0, 64, 0.5),
      keepMask({ ...CTX, phase: 2 }, 0, 3, 0, 64, 0.5), keepMask(CTX, 1, 3, 0, 64, 0.5), keepMask(CTX, 0, 4, 0, 64, 0.5), keepMask(CTX, 0, 3, 1, 64, 0.5)]) {
      expect(other).not.toEqual(a);
    }
    // a share starting at sample 32 draws what the whole batch draws for its rows
    expect(keepMask({ ...CTX, sampleOffset: 32 }, 0, 3, 0, 32, 0.5)).toEqual(a.slice(32));
    expect(hashUniform(1, 2)).toBeGreaterThanOrEqual(0);
    expect(hashUniform(1, 2)).toBeLessThan(1);
  });
});

describe('SwinIR with drop path', () => {
  it('is off at inference: no context (or a cleared one) gives the deterministic output; a training context changes it', () => {
    const net = buildModel(SWIN, 2, { seed: 1 });
    const x = input(4);
    const plain = run(net, x);
    net.setDropPath!(CTX);
    const noisy = run(net, x);
    const again = (() => { net.setDropPath!(CTX); return run(net, x); })(); // the call counter restarts: same draws
    net.setDropPath!(null);
    expect(run(net, x)).toEqual(plain);
    expect(noisy).not.toEqual(plain);
    expect(again).toEqual(noisy);
    net.setDropPath!({ ...CTX, rate: 0 });
    expect(run(net, x)).toEqual(plain);
    expect(() => net.setDropPath!({ ...CTX, rate: 1 })).toThrow(/drop path rate must be in \[0, 1\) \(got 1\)/);
    net.setDropPath!(null);
    x.dispose();
    net.dispose();
  });

  it('a Swin block with fixed keep decisions equals x + attn/keep (mlp dropped) and x + mlp/keep (attn dropped)', () => {
    const net = buildModel(SWIN, 2, { seed: 2 });
    const p = (k: string): tf.Variable => net.params.get(`layers.0.residual_group.blocks.0.${k}`)!;
    const lin = (k: string) => ({ weight: p(`${k}.weight`), bias: p(`${k}.bias`) });
    const layer = {
      norm1: lin('norm1'), attn: { qkv: lin('attn.qkv'), proj: lin('attn.proj'), table: p('attn.relative_position_bias_table') },
      norm2: lin('norm2'), fc1: lin('mlp.fc1'), fc2: lin('mlp.fc2'),
    };
    const ws = 4;
    const keep = 0.75;
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 8], 0, 1, 'float32', 5) as tf.Tensor4D;
      const rel = tf.tensor2d(relativePositionOneHot(ws), [(2 * ws - 1) ** 2, ws ** 4]);
      const got = swinLayer(x, layer, 2, ws, 0, rel, null, { prob: 1 - keep, attn: Float32Array.of(1, 0), mlp: Float32Array.of(0, 1) });
      // by hand: the two residual branches of BasicSR's SwinTransformerBlock (shift 0)
      const attnBranch = windowMerge(windowAttention(windowPartition(layerNorm(x, layer.norm1), ws), layer.attn, 2, rel, null), ws, 2, 8, 8);
      const mlpBranch = (h: tf.Tensor4D): tf.Tensor4D => linear(gelu(linear(layerNorm(h, layer.norm2), layer.fc1)), layer.fc2);
      const [x0, x1] = tf.split(x, 2, 0) as tf.Tensor4D[];
      const [a0] = tf.split(attnBranch, 2, 0) as tf.Tensor4D[];
      const want0 = tf.add(x0, tf.div(a0, keep)); // sample 0: attention kept, MLP dropped
      const want1 = tf.add(x1, tf.div(mlpBranch(x1), keep)); // sample 1: attention dropped, MLP kept
      const want = tf.concat([want0, want1], 0);
      const diff = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0];
      expect(diff).toBeLessThan(1e-5);
      // and not the plain block
      const plain = swinLayer(x, layer, 2, ws, 0, rel, null);
      expect(tf.max(tf.abs(tf.sub(plain, want))).dataSync()[0]).toBeGreaterThan(1e-3);
    });
    net.dispose();
  });
});

describe('dropPath in configs', () => {
  it('paper SwinIR students get 0.1 with a deterministic teacher; EDSR, quick and smoke none', () => {
    expect(trainPreset('paper', { student: SWIN, teacher: SWIN }).dropPath).toEqual({ student: 0.1, teacher: 0 });
    expect(PRESETS.paper.dropPath).toBeNull();
    expect(trainPreset('quick', { student: SWIN, teacher: SWIN }).dropPath).toBeNull();
    expect(trainPreset('smoke', { student: SWIN, teacher: SWIN }).dropPath).toBeNull();
  });
  it('checks rates and architectures, naming the key; null leaves run ids as before', () => {
    const smoke = trainPreset('smoke', { method: 'scratch' });
    expect(() => resolveTrain({ dropPath: { student: 0.1, teacher: 0 } }, smoke)).toThrow(/dropPath\.student must be 0 \(drop path needs a SwinIR student; it is edsr\)/);
    const swin = trainPreset('smoke', { method: 'kd', student: SWIN, teacher: SWIN });
    expect(() => resolveTrain({ dropPath: { student: 1, teacher: 0 } }, swin)).toThrow(/dropPath\.student must be a rate in \[0, 1\)/);
    expect(resolveTrain({ dropPath: { student: 0.1, teacher: 0.1 } }, swin).dropPath).toEqual({ student: 0.1, teacher: 0.1 });
    const { dropPath: _d, ...old } = smoke;
    void _d;
    expect(configHash(old as TrainConfig)).toBe(configHash(smoke));
    expect(upgradeStoredConfig(old as TrainConfig)).toEqual(smoke);
  });
});
