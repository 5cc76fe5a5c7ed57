/**
 * BT.601 "studio swing" luma as MATLAB `rgb2ycbcr` and BasicSR `color_util.py` compute it:
 * Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 for 8-bit R, G, B; not rounded.
 */
import type { RgbImage } from '../data/image';

/** One channel of float samples, row-major. */
export type Plane = { data: Float32Array | Float64Array; height: number; width: number };

/** Y of one 8-bit RGB triple, in float64 (16..235). */
export function rgbToY(r: number, g: number, b: number): number {
  return 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;
}

function checkCrop(img: RgbImage, crop: number): void {
  if (!Number.isInteger(crop) || crop < 0 || 2 * crop >= img.height || 2 * crop >= img.width) {
    throw new Error(`border crop ${crop} is invalid for a ${img.height}x${img.width} image`);
  }
}

/**
 * The Y plane of an 8-bit RGB image after removing `crop` pixels on every side.
 * `precision: 'float32'` (default) replicates BasicSR step by step: value/255 in float32, the dot
 * product with the coefficients in float64 (numpy promotes), +16, /255 stored as float32, *255 in
 * float32. `'float64'` is the textbook formula in double precision.
 */
export function yPlane(img: RgbImage, crop = 0, precision: 'float32' | 'float64' = 'float32'): Plane {
  checkCrop(img, crop);
  const height = img.height - 2 * crop;
  const width = img.width - 2 * crop;
  const src = img.data;
  const f32 = precision === 'float32';
  const data = f32 ? new Float32Array(height * width) : new Float64Array(height * width);
  // float32(v / 255) for every 8-bit value, computed once
  const unit = new Float64Array(256);
  for (let v = 0; v < 256; v++) unit[v] = Math.fround(v / 255);
  for (let y = 0; y < height; y++) {
    let s = ((y + crop) * img.width + crop) * 3;
    let d = y * width;
    for (let x = 0; x < width; x++, s += 3, d++) {
      const r = src[s];
      const g = src[s + 1];
      const b = src[s + 2];
      if (f32) {
        // BasicSR works on BGR: dot([b, g, r], [24.966, 128.553, 65.481])
        const dot = unit[b] * 24.966 + unit[g] * 128.553 + unit[r] * 65.481 + 16.0;
        data[d] = Math.fround(Math.fround(dot / 255) * 255);
      } else {
        data[d] = rgbToY(r, g, b);
      }
    }
  }
  return { data, height, width };
}

/** One colour channel (0 = R, 1 = G, 2 = B) as a float64 plane, border-cropped. */
export function channelPlane(img: RgbImage, channel: 0 | 1 | 2, crop = 0): Plane {
  checkCrop(img, crop);
  const height = img.height - 2 * crop;
  const width = img.width - 2 * crop;
  const data = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    const s = ((y + crop) * img.width + crop) * 3 + channel;
    for (let x = 0; x < width; x++) data[y * width + x] = img.data[s + 3 * x];
  }
  return { data, height, width };
}
