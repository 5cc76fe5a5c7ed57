/**
 * CSD's slimmable shared-weight EDSR (CSD-code `model/edsr.py`, `model/common.py`): one set of
 * weights, run at width 1 (the teacher) and at width w (the student, default 0.25). At width w every conv uses
 * the first int(C·w) output and input channels of its full-width weights: the head its first wC outputs from
 * the 3 inputs, the tail its 3 outputs from the first wC inputs, each upsampler conv its first 4·wC (x2, x4 per
 * stage) or 9·wC (x3) outputs, so that the pixel shuffle yields the first wC channels. Mean shift and residual
 * scaling are shared. EDSR 256x32 at w = 0.25 is the 64x32 student of DUKD.
 *
 * The shared weights are an ordinary kit EDSR (lib/models/edsr.ts, BasicSR names) of full width: its own
 * `forward` is the width-1 pass, and `slimEdsrForward(shared, lr, w)` the width-w pass, built from `tf.slice`s
 * of the shared variables inside the forward, so tf.variableGrads / tf.grad carry a width-w loss's gradient
 * into those slices of the shared weights (and zero elsewhere). `extractSlimEdsr(shared, w)` copies the
 * slices into a new EDSR of width wC: a normal kit model that eval, upscale and export use unchanged.
 * CSD applies to EDSR only (RCAN shrinks in depth, SwinIR has no such slicing): `assertCsdBackbone`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scale } from '../types';
import { buildModel } from './build';
import { type EdsrWeights, edsrForward } from './edsr';
import type { ConvParams } from './layers/conv';
import type { UpsampleStage } from './layers/upsample';
import { upsampleFactors } from './layers/upsample';
import type { ArchConfig, EdsrConfig, SRNet } from './types';

/** CSD's `--stu_width_mult` default (README, option.py). */
export const CSD_WIDTH_MULT = 0.25;

/** CSD's student width: int(C · w), truncated as Python's int(). */
export function slimWidth(feats: number, widthMult: number): number {
  if (!(widthMult > 0 && widthMult <= 1)) throw new Error(`CSD width multiplier must be in (0, 1] (got ${widthMult})`);
  const w = Math.trunc(feats * widthMult);
  if (w < 1) throw new Error(`CSD width multiplier ${widthMult} leaves no channels of ${feats}`);
  return w;
}

/** Config error unless the backbone is EDSR, naming why CSD does not apply. */
export function assertCsdBackbone(arch: ArchConfig): asserts arch is EdsrConfig {
  if (arch.arch === 'edsr') return;
  const why = arch.arch === 'rcan'
    ? 'RCAN students are shallower (fewer groups/blocks), not narrower, so they are no channel slice of the teacher'
    : 'SwinIR has no channel-sliceable shared-weight form (attention heads and window layers)';
  throw new Error(`CSD needs an EDSR backbone (teacher and student share one set of weights, the student being its first channels); got ${arch.arch}: ${why}`);
}

/** The EDSR config of the width-w student. */
export function slimEdsrArch(arch: EdsrConfig, widthMult: number): EdsrConfig {
  return { ...arch, feats: slimWidth(arch.feats, widthMult) };
}

function edsrOf(shared: SRNet): EdsrConfig {
  assertCsdBackbone(shared.arch);
  return shared.arch;
}

/** Slices of the shared variables forming the width-w EDSR (call inside tf.tidy or a gradient closure). */
function slimWeights(shared: SRNet, widthMult: number): EdsrWeights {
  const arch = edsrOf(shared);
  const c = slimWidth(arch.feats, widthMult);
  const get = (key: string): tf.Variable => {
    const v = shared.params.get(key);
    if (v === undefined) throw new Error(`CSD EDSR: the shared net has no '${key}'`);
    return v;
  };
  const conv = (key: string, cin: number, cout: number): ConvParams => {
    const w = get(`${key}.weight`);
    const b = get(`${key}.bias`);
    const full = w.shape[2] === cin && w.shape[3] === cout;
    return full ? { weight: w, bias: b } : {
      weight: tf.slice(w, [0, 0, 0, 0], [-1, -1, cin, cout]),
      bias: tf.slice(b, [0], [cout]),
    };
  };
  const upsample: UpsampleStage[] = upsampleFactors(shared.scale).map((r, i) => ({ conv: conv(`upsample.${2 * i}`, c, r * r * c), r }));
  return {
    convFirst: conv('conv_first', 3, c),
    blocks: Array.from({ length: arch.blocks }, (_, i) => ({ conv1: conv(`body.${i}.conv1`, c, c), conv2: conv(`body.${i}.conv2`, c, c) })),
    convAfterBody: conv('conv_after_body', c, c),
    upsample,
    convLast: conv('conv_last', c, 3),
  };
}

/** The width-w forward pass of the shared EDSR (w = 1: the same as `shared.forward`). Differentiable into the shared weights. */
export function slimEdsrForward(shared: SRNet, lr: tf.Tensor4D, widthMult: number): tf.Tensor4D {
  const arch = edsrOf(shared);
  return tf.tidy(() => edsrForward(slimWeights(shared, widthMult), arch.resScale, lr, () => undefined));
}

/** A new, ordinary kit EDSR of width int(C·w) holding copies of the shared slices. The caller owns it. */
export function extractSlimEdsr(shared: SRNet, widthMult: number, opts: { readonly seed?: number } = {}): SRNet {
  const arch = slimEdsrArch(edsrOf(shared), widthMult);
  const student = buildModel(arch, shared.scale as Scale, { seed: opts.seed ?? 0 });
  try {
    tf.tidy(() => {
      const w = slimWeights(shared, widthMult);
      const values = new Map<string, tf.Tensor>();
      const put = (key: string, p: ConvParams): void => {
        values.set(`${key}.weight`, p.weight);
        values.set(`${key}.bias`, p.bias);
      };
      put('conv_first', w.convFirst);
      w.blocks.forEach((b, i) => { put(`body.${i}.conv1`, b.conv1); put(`body.${i}.conv2`, b.conv2); });
      put('conv_after_body', w.convAfterBody);
      w.upsample.forEach((s, i) => put(`upsample.${2 * i}`, s.conv));
      put('conv_last', w.convLast);
      for (const [key, v] of student.params) {
        const src = values.get(key);
        if (src === undefined || src.shape.join() !== v.shape.join()) throw new Error(`CSD EDSR: no slice fits the student's '${key}' [${v.shape}]`);
        v.assign(src);
      }
    });
  } catch (e) {
    student.dispose();
    throw e;
  }
  return student;
}
