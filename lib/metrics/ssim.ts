/**
 * SSIM exactly as BasicSR `calculate_ssim` / MATLAB `ssim_index` (Wang et al. 2004): 11x11
 * Gaussian window (sigma 1.5), valid region only, C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2, float64.
 * The 2-D window is the outer product of the 1-D kernel, so it is applied as two 1-D passes.
 */
import type { RgbImage } from '../data/image';
import { channelPlane, yPlane, type Plane } from './ycbcr';

const RADIUS = 5;
const SIZE = 2 * RADIUS + 1;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/** The normalised 1-D Gaussian (11 taps, sigma 1.5); its outer product is the SSIM window. */
export function gaussianKernel1d(size = SIZE, sigma = 1.5): Float64Array {
  const g = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let k = 0; k < size; k++) {
    g[k] = Math.exp(-((k - c) * (k - c)) / (2 * sigma * sigma));
    sum += g[k];
  }
  for (let k = 0; k < size; k++) g[k] /= sum;
  return g;
}

const G = gaussianKernel1d();

/** SSIM of two planes in 0..255 range (each at least 11 x 11). */
export function ssimPlane(a: Plane, b: Plane): number {
  const { height: H, width: W } = a;
  if (b.height !== H || b.width !== W) throw new Error(`ssim: image sizes differ (${H}x${W} vs ${b.height}x${b.width})`);
  if (H < SIZE || W < SIZE) throw new Error(`ssim: image must be at least ${SIZE}x${SIZE} after the border crop (got ${H}x${W})`);
  const Wv = W - 2 * RADIUS;
  const Hv = H - 2 * RADIUS;
  const A = a.data;
  const B = b.data;
  // horizontal pass over all rows: filtered I1, I2, I1^2, I2^2, I1*I2, each H x Wv
  const hA = new Float64Array(H * Wv);
  const hB = new Float64Array(H * Wv);
  const hAA = new Float64Array(H * Wv);
  const hBB = new Float64Array(H * Wv);
  const hAB = new Float64Array(H * Wv);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    const orow = y * Wv;
    for (let x = 0; x < Wv; x++) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let k = 0; k < SIZE; k++) {
        const g = G[k];
        const va = A[row + x + k];
        const vb = B[row + x + k];
        sa += g * va;
        sb += g * vb;
        saa += g * va * va;
        sbb += g * vb * vb;
        sab += g * va * vb;
      }
      hA[orow + x] = sa;
      hB[orow + x] = sb;
      hAA[orow + x] = saa;
      hBB[orow + x] = sbb;
      hAB[orow + x] = sab;
    }
  }
  // vertical pass and the SSIM map, summed on the fly
  let total = 0;
  for (let y = 0; y < Hv; y++) {
    for (let x = 0; x < Wv; x++) {
      let mu1 = 0;
      let mu2 = 0;
      let e11 = 0;
      let e22 = 0;
      let e12 = 0;
      for (let k = 0; k < SIZE; k++) {
        const g = G[k];
        const i = (y + k) * Wv + x;
        mu1 += g * hA[i];
        mu2 += g * hB[i];
        e11 += g * hAA[i];
        e22 += g * hBB[i];
        e12 += g * hAB[i];
      }
      const m11 = mu1 * mu1;
      const m22 = mu2 * mu2;
      const m12 = mu1 * mu2;
      const s11 = e11 - m11;
      const s22 = e22 - m22;
      const s12 = e12 - m12;
      total += ((2 * m12 + C1) * (2 * s12 + C2)) / ((m11 + m22 + C1) * (s11 + s22 + C2));
    }
  }
  return total / (Hv * Wv);
}

/** Y-channel SSIM of two 8-bit RGB images with `crop` border pixels removed (BasicSR, float32 Y). */
export function ssimY(sr: RgbImage, hr: RgbImage, crop: number, precision: 'float32' | 'float64' = 'float32'): number {
  if (sr.height !== hr.height || sr.width !== hr.width) {
    throw new Error(`ssimY: image sizes differ (${sr.height}x${sr.width} vs ${hr.height}x${hr.width})`);
  }
  return ssimPlane(yPlane(sr, crop, precision), yPlane(hr, crop, precision));
}

/** RGB SSIM: the mean of the three per-channel values (BasicSR; not used by the papers). */
export function ssimRgb(sr: RgbImage, hr: RgbImage, crop: number): number {
  if (sr.height !== hr.height || sr.width !== hr.width) {
    throw new Error(`ssimRgb: image sizes differ (${sr.height}x${sr.width} vs ${hr.height}x${hr.width})`);
  }
  let s = 0;
  for (const c of [0, 1, 2] as const) s += ssimPlane(channelPlane(sr, c, crop), channelPlane(hr, c, crop));
  return s / 3;
}
