/**
 * Padding an LR input to a multiple of the window size, BasicSR `SwinIRModel.test` convention (official SwinIR's
 * test script pads differently, eval/test-pad.ts 'flip'; DUKD uses BasicSR):
 * bottom/right only, by (m - H % m) % m rows and likewise columns, 'reflect' mode (mirror without repeating the
 * edge pixel, PyTorch F.pad(..., 'reflect')). The network output is then cropped to (H*s, W*s).
 */
import * as tf from '@tensorflow/tfjs';

/** Rows/columns BasicSR adds to reach a multiple of `multiple`. */
export function padAmount(size: number, multiple: number): number {
  return (multiple - (size % multiple)) % multiple;
}

/** Pads bottom/right with reflection; returns `x` itself when no padding is needed. */
export function reflectPadToMultiple(x: tf.Tensor4D, multiple: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const ph = padAmount(h, multiple);
  const pw = padAmount(w, multiple);
  if (ph === 0 && pw === 0) return x;
  if (ph >= h || pw >= w) {
    // PyTorch's reflect mode fails here too; BasicSR has no answer for such tiny inputs.
    throw new Error(`reflect padding of ${h}x${w} to a multiple of ${multiple} needs padding < size (pad ${ph}x${pw})`);
  }
  return tf.mirrorPad(x, [[0, 0], [0, ph], [0, pw], [0, 0]], 'reflect');
}

/** Crops [B, H', W', C] to the top-left h x w (no-op when already that size). */
export function cropTo(x: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
  if (x.shape[1] === h && x.shape[2] === w) return x;
  return tf.slice(x, [0, 0, 0, 0], [-1, h, w, -1]);
}
