/**
 * The SRNet record shared by every backbone: weights from a ParamBuilder (freed if building fails),
 * forward inside tf.tidy with tap selection, and an idempotent dispose.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scale, TapName } from '../../types';
import type { Rng } from '../../util/rng';
import type { ArchConfig, ForwardResult, SRNet } from '../types';
import type { DropPathContext } from './drop-path';
import { ParamBuilder } from './param-builder';
import { selectTaps } from './taps';

/** Records a feature when the caller asked for it; a thunk defers work (e.g. a crop) that only a tap needs. */
export type TapRecorder = (name: TapName, value: tf.Tensor4D | (() => tf.Tensor4D)) => void;

export interface NetParts {
  readonly arch: ArchConfig;
  readonly scale: Scale;
  readonly taps: readonly TapName[];
  /** The network body; runs inside tf.tidy. */
  run(lr: tf.Tensor4D, tap: TapRecorder): tf.Tensor4D;
  /** Extra clean-up beyond the weights (caches). */
  release?(): void;
  /** Nets with stochastic depth (SwinIR): training context, or null for inference (see SRNet.setDropPath). */
  setDropPath?(ctx: DropPathContext | null): void;
}

export function assembleNet(rng: Rng, build: (pb: ParamBuilder) => NetParts): SRNet {
  const pb = new ParamBuilder(rng);
  let parts: NetParts;
  try {
    parts = build(pb);
  } catch (e) {
    pb.dispose();
    throw e;
  }
  let disposed = false;
  return {
    arch: parts.arch,
    scale: parts.scale,
    taps: parts.taps,
    params: pb.params,
    forward(lr: tf.Tensor4D, opts?: { readonly taps?: readonly TapName[] }): ForwardResult {
      const want = selectTaps(parts.taps, opts?.taps);
      return tf.tidy(() => {
        const features: Record<TapName, tf.Tensor4D> = {};
        const tap: TapRecorder = (name, value) => {
          if (want.has(name)) features[name] = typeof value === 'function' ? value() : value;
        };
        const out = parts.run(lr, tap);
        return { out, features };
      });
    },
    ...(parts.setDropPath ? { setDropPath: parts.setDropPath } : {}),
    dispose(): void {
      if (disposed) return;
      disposed = true;
      parts.release?.();
      pb.dispose();
    },
  };
}
