/**
 * CSD's slimmable EDSR checkpoints (Booooooooooo/CSD "PyTorch version" `model/edsr.py`; the released
 * edsr_x{2,3,4}_0.25student.pth hold `model_state_dict` of the full shared network) → BasicSR names:
 * head → conv_first, body.N.conv1/2 → body.N.conv1/2, body_conv → conv_after_body, upsampler.blocks.N →
 * upsample.{2N}, tail_conv → conv_last. The mean shifts (sub_mean / add_mean, 1x1 convs fixed at
 * ±rgb_range·DIV2K mean) are checked against what the kit's EDSR hard-codes (rgb_range 255) and dropped; a file
 * with other values fails naming the key, since the kit could not reproduce it.
 */
import { DIV2K_RGB_MEAN } from '../../models/layers/mean-shift';
import type { StateDict } from '../torch/checkpoint';
import { type MappedWeights, mapStateDict, toFloat32 } from './basicsr';

const RGB_RANGE = 255;

/** True when the keys look like CSD's EDSR (upsampler.blocks / tail_conv / body_conv). */
export function isCsdEdsrKeys(keys: readonly string[]): boolean {
  return keys.includes('head.weight') && keys.includes('tail_conv.weight') && keys.some((k) => k.startsWith('upsampler.blocks.'));
}

export function csdEdsrRename(key: string): string | null {
  if (key.startsWith('sub_mean.') || key.startsWith('add_mean.')) return null;
  let m = /^head\.(weight|bias)$/.exec(key);
  if (m) return `conv_first.${m[1]}`;
  m = /^body_conv\.(weight|bias)$/.exec(key);
  if (m) return `conv_after_body.${m[1]}`;
  m = /^upsampler\.blocks\.(\d+)\.(weight|bias)$/.exec(key);
  if (m) return `upsample.${2 * Number(m[1])}.${m[2]}`;
  m = /^tail_conv\.(weight|bias)$/.exec(key);
  if (m) return `conv_last.${m[1]}`;
  return key; // body.N.conv1/2 already match; anything else is reported as unexpected by the loader
}

/** Fails unless the mean shifts are identity convs with bias ∓255·mean (what the kit's EDSR applies). */
export function checkCsdMeanShift(sd: StateDict, file: string): void {
  for (const [name, sign] of [['sub_mean', -1], ['add_mean', 1]] as const) {
    const w = sd[`${name}.weight`];
    const b = sd[`${name}.bias`];
    if (w === undefined || b === undefined) continue; // absent: nothing to contradict
    const wv = toFloat32(w);
    const bv = toFloat32(b);
    const eye = w.shape.join() === '3,3,1,1' && [1, 0, 0, 0, 1, 0, 0, 0, 1].every((e, i) => Math.abs(wv[i] - e) < 1e-6);
    if (!eye) throw new Error(`${file}: '${name}.weight' is not the identity (rgb_std other than 1 is not supported)`);
    DIV2K_RGB_MEAN.forEach((m, i) => {
      if (Math.abs(bv[i] - sign * RGB_RANGE * m) > 1e-3) {
        throw new Error(`${file}: '${name}.bias' [${Array.from(bv).map((v) => v.toFixed(3))}] is not ${sign < 0 ? '-' : ''}255 x the DIV2K mean ` +
          '(the kit runs EDSR with rgb_range 255 and that mean)');
      }
    });
  }
}

export function mapCsdEdsr(sd: StateDict, file = '<state dict>'): MappedWeights {
  checkCsdMeanShift(sd, file);
  return mapStateDict(sd, csdEdsrRename);
}
