/**
 * Training patches (the protocol shared by every method, DUKD-v2 §4.1): a random LR crop of `patchSizeLr` and the
 * aligned HR crop of `patchSizeLr * scale` (HR top-left = LR top-left * scale, as BasicSR `paired_random_crop`),
 * then the same dihedral op on both (BasicSR `augment`: horizontal flip, vertical flip, transpose H<->W, each
 * p = 0.5, applied in that order). Crop positions are drawn as uniform numbers in [0, 1) before the image size is
 * known, so a batch can be planned (and its Rng advanced) without decoding anything.
 */
import type { Rng } from '../util/rng';
import { createImage, type RgbImage } from './image';

/** The 8 symmetries of the square as three flags, applied in the order hflip, vflip, transpose. */
export type Dihedral = { readonly hflip: boolean; readonly vflip: boolean; readonly transpose: boolean };

export const DIHEDRAL_IDENTITY: Dihedral = { hflip: false, vflip: false, transpose: false };

/** Three fair coin flips, in the order hflip, vflip, transpose. */
export function sampleDihedral(rng: Rng): Dihedral {
  const hflip = rng.bernoulli(0.5);
  const vflip = rng.bernoulli(0.5);
  const transpose = rng.bernoulli(0.5);
  return { hflip, vflip, transpose };
}

/** What a patch is cut from: the pair index, the crop position as fractions in [0, 1), the dihedral op. */
export type PatchPlan = { readonly index: number; readonly u: number; readonly v: number; readonly op: Dihedral };

/** Draws one patch plan for pair `index`: u (rows), v (columns), then the op when `augment`. */
export function planPatch(index: number, rng: Rng, augment: boolean): PatchPlan {
  const u = rng.next();
  const v = rng.next();
  return { index, u, v, op: augment ? sampleDihedral(rng) : DIHEDRAL_IDENTITY };
}

/** Top-left LR corner of a plan on an LR image of `height` x `width` (uniform over all valid corners). */
export function cropOrigin(plan: PatchPlan, height: number, width: number, patchSizeLr: number): { top: number; left: number } {
  if (height < patchSizeLr || width < patchSizeLr) {
    throw new Error(`LR image ${height}x${width} is smaller than the ${patchSizeLr}x${patchSizeLr} patch`);
  }
  return { top: Math.floor(plan.u * (height - patchSizeLr + 1)), left: Math.floor(plan.v * (width - patchSizeLr + 1)) };
}

/** v / 255 for every byte value, as float32 (the same values as dividing and storing). */
const UNIT_LUT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Writes the `size` x `size` crop at (top, left) of `src`, transformed by `op`, into `out` as float32 in
 * [0,1] (value / 255), HWC, starting at `offset`. One pass: no intermediate images.
 */
export function writePatchFloat(src: RgbImage, top: number, left: number, size: number, op: Dihedral,
  out: Float32Array, offset: number): void {
  if (top < 0 || left < 0 || top + size > src.height || left + size > src.width) {
    throw new Error(`patch ${size}x${size} at (${top}, ${left}) does not fit in a ${src.height}x${src.width} image`);
  }
  // out = transpose?(vflip?(hflip?(crop))): walk the source with signed strides instead of copying.
  const d = src.data;
  const rowStride = src.width * 3;
  const rowStep = op.vflip ? -rowStride : rowStride;
  const colStep = op.hflip ? -3 : 3;
  const start = top * rowStride + left * 3 + (op.vflip ? (size - 1) * rowStride : 0) + (op.hflip ? (size - 1) * 3 : 0);
  const di = op.transpose ? colStep : rowStep;
  const dj = op.transpose ? rowStep : colStep;
  const lut = UNIT_LUT;
  let o = offset;
  for (let i = 0; i < size; i++) {
    let s = start + i * di;
    for (let j = 0; j < size; j++) {
      out[o] = lut[d[s]];
      out[o + 1] = lut[d[s + 1]];
      out[o + 2] = lut[d[s + 2]];
      o += 3;
      s += dj;
    }
  }
}

/** `op` applied to a whole square or rectangular 8-bit image (hflip, vflip, then transpose). */
export function applyDihedral(img: RgbImage, op: Dihedral): RgbImage {
  const H = img.height, W = img.width;
  const out = op.transpose ? createImage(W, H) : createImage(H, W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const sy = op.vflip ? H - 1 - y : y;
      const sx = op.hflip ? W - 1 - x : x;
      const [oy, ox] = op.transpose ? [x, y] : [y, x];
      const s = (sy * W + sx) * 3;
      const t = (oy * out.width + ox) * 3;
      out.data[t] = img.data[s];
      out.data[t + 1] = img.data[s + 1];
      out.data[t + 2] = img.data[s + 2];
    }
  }
  return out;
}

/** Cuts the planned aligned LR/HR patch pair as 8-bit images (tests, visualisation). */
export function cutPatchPair(pair: { lr: RgbImage; hr: RgbImage }, plan: PatchPlan, scale: number, patchSizeLr: number):
  { lr: RgbImage; hr: RgbImage } {
  const { top, left } = cropOrigin(plan, pair.lr.height, pair.lr.width, patchSizeLr);
  const toImage = (src: RgbImage, t: number, l: number, size: number): RgbImage => {
    const f = new Float32Array(size * size * 3);
    writePatchFloat(src, t, l, size, plan.op, f, 0);
    return createImage(size, size, Uint8Array.from(f, (v) => Math.round(v * 255)));
  };
  return { lr: toImage(pair.lr, top, left, patchSizeLr), hr: toImage(pair.hr, top * scale, left * scale, patchSizeLr * scale) };
}
