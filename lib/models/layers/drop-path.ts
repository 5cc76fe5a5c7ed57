/**
 * Stochastic depth (drop path) as BasicSR's SwinIR (`swinir_arch.py` `drop_path`, from timm): in training, each
 * residual branch of each Swin block is kept per sample with probability keep = 1 - p and scaled by 1/keep
 * (x / keep * floor(keep + u), u ~ U[0, 1)); at inference it is the identity. The rate rises linearly over the
 * blocks: p_j = rate * j / (N - 1) (torch.linspace(0, drop_path_rate, sum(depths))), so the first block never drops.
 *
 * The draws are counter-based, not a stream: u = hash(seed, step, phase, call, sample, block, branch), so a run
 * is reproducible and resumes bit-exactly with no random state in the checkpoint (derived from step + seed).
 */
import * as tf from '@tensorflow/tfjs';

/** Where a training forward sits; set on a net for the duration of one phase of one step, null = inference. */
export type DropPathContext = {
  /** Stochastic depth rate of the last block (BasicSR drop_path_rate; 0.1 by default there). */
  readonly rate: number;
  readonly seed: number;
  readonly step: number;
  /** Which part of the step (e.g. 0: teacher targets in prepare, 1 + group: student terms). */
  readonly phase: number;
  /** Global index of row 0 of this share (data-parallel shares draw for their own rows). */
  readonly sampleOffset: number;
};

/** p_j for N blocks: torch.linspace(0, rate, N). */
export function dropPathRates(rate: number, blocks: number): number[] {
  if (blocks === 1) return [0];
  return Array.from({ length: blocks }, (_, j) => (rate * j) / (blocks - 1));
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0x9e3779b1) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae3d) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform number in [0, 1) determined by the integers given (24-bit resolution). */
export function hashUniform(...keys: readonly number[]): number {
  let h = 0x2545f491;
  for (const k of keys) h = mix(h, k);
  return (h >>> 8) / 16777216;
}

/** The 0/1 keep decisions floor(keep + u) for `batch` rows of one branch of one block in one forward call. */
export function keepMask(ctx: DropPathContext, call: number, block: number, branch: number, batch: number, prob: number): Float32Array {
  const keep = 1 - prob;
  return Float32Array.from({ length: batch }, (_, i) =>
    Math.floor(keep + hashUniform(ctx.seed, ctx.step, ctx.phase, call, ctx.sampleOffset + i, block, branch)));
}

/** BasicSR's drop_path with given keep decisions ([B] of 0/1): x / keep * mask; `x` itself when prob is 0. */
export function dropPath(x: tf.Tensor4D, mask: Float32Array | null, prob: number): tf.Tensor4D {
  if (mask === null || prob === 0) return x;
  const m = tf.tensor4d(mask, [mask.length, 1, 1, 1]);
  return tf.mul(tf.div(x, 1 - prob), m);
}
