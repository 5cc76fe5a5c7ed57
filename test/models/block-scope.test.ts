// A forward pass without a gradient tape (a frozen teacher, the history model) holds about one residual block's
// activations, not every block's: a deeper net's pass peaks higher only by the extra blocks' output maps
// (lib/models/layers/block-scope.ts). The control: the same pass under a tape holds every block's activations.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig } from '../../lib/models/types';

const DEPTHS: Record<string, (n: number) => ArchConfig> = {
  edsr: (n) => ({ arch: 'edsr', feats: 16, blocks: n, resScale: 0.1 }),
  rcan: (n) => ({ arch: 'rcan', feats: 16, groups: 1, blocks: n, reduction: 4, resScale: 1 }),
  swinir: (n) => ({ arch: 'swinir', embedDim: 16, depths: [n], heads: [2], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 16 }),
};

/** Peak bytes above what existed before (the weights), of one forward pass, with or without the tape. */
async function passPeak(arch: ArchConfig, taped: boolean): Promise<number> {
  const net = buildModel(arch, 2, { seed: 1 });
  const lr = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const base = tf.memory().numBytes;
  const vars = [...net.params.values()].slice(0, 1) as tf.Variable[];
  const p = await tf.profile(() => {
    if (!taped) return [net.forward(lr).out];
    const r = tf.variableGrads(() => tf.mean(net.forward(lr).out) as tf.Scalar, vars);
    return [r.value, ...Object.values(r.grads)];
  });
  net.dispose();
  lr.dispose();
  return p.peakBytes - base;
}

describe('one block\'s activations at a time when no tape keeps them', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  it.each(Object.keys(DEPTHS))('%s: each block past the second adds its output map only', async (name) => {
    const at = DEPTHS[name];
    const map = 2 * 16 * 16 * 16 * 4; // one [2, 16, 16, 16] float32 feature map
    const perBlock = async (taped: boolean): Promise<number> => ((await passPeak(at(8), taped)) - (await passPeak(at(2), taped))) / 6;
    // measured without the per-block tidy: 4x (EDSR, RCAN) to 88x (SwinIR) a map per block; with it, 1.0x
    expect(await perBlock(false)).toBeLessThan(1.5 * map);
    expect(await perBlock(true)).toBeGreaterThan(3 * map); // the control: a tape keeps every block's activations
  });
});
