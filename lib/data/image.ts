/**
 * The kit's one plain (non-tensor) image type: 8-bit RGB, HWC, row-major. It is what decode.ts returns,
 * what the uint8 MATLAB resize works on and what the metrics read. Conversions to and from the
 * NHWC float32 [0,1] tensors used everywhere else in lib live here too.
 */
import * as tf from '@tensorflow/tfjs';

export type RgbImage = { data: Uint8Array; height: number; width: number; channels: 3 };

/** A new image; `data` defaults to zeros and must hold height * width * 3 values. */
export function createImage(height: number, width: number, data?: Uint8Array): RgbImage {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`image size must be positive integers (got ${height} x ${width})`);
  }
  const n = height * width * 3;
  if (data && data.length !== n) throw new Error(`image data has ${data.length} values, expected ${height} x ${width} x 3 = ${n}`);
  return { data: data ?? new Uint8Array(n), height, width, channels: 3 };
}

/** The top-left `height` x `width` window starting at (`top`, `left`), copied. */
export function cropImage(img: RgbImage, top: number, left: number, height: number, width: number): RgbImage {
  if (top < 0 || left < 0 || top + height > img.height || left + width > img.width || height < 1 || width < 1) {
    throw new Error(`crop ${height}x${width} at (${top}, ${left}) does not fit in a ${img.height}x${img.width} image`);
  }
  const out = createImage(height, width);
  const rowLen = width * 3;
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * img.width + left) * 3;
    out.data.set(img.data.subarray(src, src + rowLen), y * rowLen);
  }
  return out;
}

/** Round to the nearest integer, ties to even (numpy `round`). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * BasicSR `tensor2img` quantisation of [0,1] floats: clamp to [0,1], multiply by 255 in float32,
 * round half to even, cast to uint8. NaN becomes 0.
 */
export function quantizeUnit(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = v > 1 ? 1 : v >= 0 ? v : 0; // NaN fails `v >= 0` and maps to 0
    out[i] = roundHalfEven(Math.fround(Math.fround(c) * 255));
  }
  return out;
}

/** [1, H, W, 3] float32 tensor in [0,1] (value / 255). The caller owns the tensor. */
export function imageToTensor(img: RgbImage): tf.Tensor4D {
  const f = new Float32Array(img.data.length);
  for (let i = 0; i < f.length; i++) f[i] = img.data[i] / 255;
  return tf.tensor4d(f, [1, img.height, img.width, 3], 'float32');
}

/** Stacks same-sized images into one [N, H, W, 3] tensor in [0,1]. */
export function imagesToTensor(imgs: readonly RgbImage[]): tf.Tensor4D {
  if (imgs.length === 0) throw new Error('imagesToTensor needs at least one image');
  const { height, width } = imgs[0];
  const per = height * width * 3;
  const f = new Float32Array(per * imgs.length);
  imgs.forEach((img, k) => {
    if (img.height !== height || img.width !== width) {
      throw new Error(`imagesToTensor: image ${k} is ${img.height}x${img.width}, expected ${height}x${width}`);
    }
    for (let i = 0; i < per; i++) f[k * per + i] = img.data[i] / 255;
  });
  return tf.tensor4d(f, [imgs.length, height, width, 3], 'float32');
}

function splitBatch(values: ArrayLike<number>, shape: number[]): RgbImage[] {
  const [n, h, w, c] = shape;
  if (c !== 3) throw new Error(`expected an NHWC tensor with 3 channels (got shape [${shape.join(', ')}])`);
  const q = quantizeUnit(values);
  const per = h * w * 3;
  const out: RgbImage[] = [];
  for (let k = 0; k < n; k++) out.push(createImage(h, w, q.slice(k * per, (k + 1) * per)));
  return out;
}

/** Quantises every image of an NHWC [0,1] tensor to 8 bits (quantizeUnit: BasicSR `tensor2img`). Keeps `x`. */
export function tensorToImages(x: tf.Tensor4D): RgbImage[] {
  return splitBatch(x.dataSync(), x.shape);
}

/** Async variant of `tensorToImages` (no blocking device read). */
export async function tensorToImagesAsync(x: tf.Tensor4D): Promise<RgbImage[]> {
  return splitBatch(await x.data(), x.shape);
}

/** The single image of a [1, H, W, 3] tensor, quantised. */
export function tensorToImage(x: tf.Tensor4D): RgbImage {
  if (x.shape[0] !== 1) throw new Error(`tensorToImage expects a batch of 1 (got ${x.shape[0]}); use tensorToImages`);
  return tensorToImages(x)[0];
}
