/** PSNR exactly as BasicSR `calculate_psnr`: 10 log10(255^2 / MSE), float64 MSE, peak 255 even on Y (16..235). */
import type { RgbImage } from '../data/image';
import { channelPlane, yPlane, type Plane } from './ycbcr';

function sameSize(a: { height: number; width: number }, b: { height: number; width: number }, what: string): void {
  if (a.height !== b.height || a.width !== b.width) {
    throw new Error(`${what}: image sizes differ (${a.height}x${a.width} vs ${b.height}x${b.width})`);
  }
}

/** Mean squared difference of two planes, accumulated in float64. */
export function mse(a: Plane, b: Plane): number {
  sameSize(a, b, 'mse');
  const n = a.data.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = a.data[i] - b.data[i];
    s += d * d;
  }
  return s / n;
}

/** 10 log10(255^2 / mse); Infinity when the planes are identical. */
export function psnrFromMse(m: number): number {
  return m === 0 ? Infinity : 10 * Math.log10((255 * 255) / m);
}

/** PSNR of two planes in 0..255 range. */
export function psnrPlane(a: Plane, b: Plane): number {
  return psnrFromMse(mse(a, b));
}

/** Y-channel PSNR of two 8-bit RGB images with `crop` border pixels removed (BasicSR, float32 Y). */
export function psnrY(sr: RgbImage, hr: RgbImage, crop: number, precision: 'float32' | 'float64' = 'float32'): number {
  sameSize(sr, hr, 'psnrY');
  return psnrPlane(yPlane(sr, crop, precision), yPlane(hr, crop, precision));
}

/** RGB PSNR (MSE over all three channels) with `crop` border pixels removed. */
export function psnrRgb(sr: RgbImage, hr: RgbImage, crop: number): number {
  sameSize(sr, hr, 'psnrRgb');
  let total = 0;
  for (const c of [0, 1, 2] as const) total += mse(channelPlane(sr, c, crop), channelPlane(hr, c, crop));
  return psnrFromMse(total / 3); // equal channel sizes, so the mean of the channel MSEs is the overall MSE
}
