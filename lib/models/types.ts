import type * as tf from '@tensorflow/tfjs';
import type { Scale, TapName } from '../types';
import type { DropPathContext } from './layers/drop-path';

/** Backbone hyper-parameters: plain JSON. */
export type ArchConfig = EdsrConfig | RcanConfig | SwinIRConfig;

export interface EdsrConfig {
  readonly arch: 'edsr';
  readonly feats: number; // C
  readonly blocks: number; // B
  readonly resScale: number; // 0.1 for DUKD configs, 1.0 for the original EDSR-baseline
}

export interface RcanConfig {
  readonly arch: 'rcan';
  readonly feats: number;
  readonly groups: number; // G
  readonly blocks: number; // B per group
  readonly reduction: number; // channel-attention reduction r
  readonly resScale: number;
}

export interface SwinIRConfig {
  readonly arch: 'swinir';
  readonly embedDim: number;
  readonly depths: readonly number[];
  readonly heads: readonly number[];
  readonly windowSize: number;
  readonly mlpRatio: number;
  readonly upsampler: 'pixelshuffle' | 'pixelshuffledirect';
  /** Width of the 'pixelshuffle' reconstruction (64 in every released model). */
  readonly upsampleFeats: number;
}

export type ForwardResult = { out: tf.Tensor4D; features: Record<TapName, tf.Tensor4D> };

/**
 * A super-resolution network: NHWC float32 [0,1] in, [0,1]-range (unclamped) out, `scale` times larger.
 * Weights are tf.Variables named with BasicSR state_dict keys (conv filters HWIO, linear [in, out]).
 */
export interface SRNet {
  readonly arch: ArchConfig;
  readonly scale: Scale;
  /** Every tap `forward` can return, in network order. */
  readonly taps: readonly TapName[];
  /** Trainable weights in a fixed, documented order (BasicSR key names). */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** Runs the network; `taps` selects which intermediate features to return. Call inside tidy. */
  forward(lr: tf.Tensor4D, opts?: { readonly taps?: readonly TapName[] }): ForwardResult;
  /**
   * Nets with stochastic depth only (SwinIR): forwards after this call drop paths under the given training
   * context (models/layers/drop-path.ts) until it is called with null (inference, the default).
   */
  setDropPath?(ctx: DropPathContext | null): void;
  dispose(): void;
}
