/**
 * Test-time padding of windowed networks (SwinIR) to a window multiple, two conventions:
 * - 'reflect' (default): BasicSR `SwinIRModel.test`, bottom/right by (ws - h % ws) % ws, mirror without repeating
 *   the edge (PyTorch 'reflect'); the model's own forward does this (models/layers/reflect-pad.ts).
 * - 'flip': SwinIR's `main_test_swinir.py` (JingyunLiang/SwinIR), which made the SwinIR teachers' published
 *   numbers: h_pad = (h // ws + 1) * ws - h (a whole window when h is already a multiple), rows taken from the
 *   vertically flipped image appended below (so the edge row repeats), then columns likewise.
 * The output is cropped to (h * s, w * s) either way. Networks without windows (EDSR, RCAN) are never padded, so
 * 'flip' leaves them and their protocol name unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { archSpec } from '../models/archs/index';
import type { ArchConfig, SRNet } from '../models/types';
import { type TileOptions, type TiledOutput, upscaleTiledData } from './tiled';

export const TEST_PADS = ['reflect', 'flip'] as const;
export type TestPad = (typeof TEST_PADS)[number];

/** Checks a user-given padding name; the error names the allowed values. */
export function parseTestPad(v: string, what = 'pad'): TestPad {
  if ((TEST_PADS as readonly string[]).includes(v)) return v as TestPad;
  throw new Error(`${what} must be one of ${TEST_PADS.join(', ')} (got '${v}')`);
}

/** The window multiple a network pads to at test time, or null when it has none (EDSR, RCAN). */
export function padMultiple(arch: ArchConfig): number | null {
  const m = archSpec(arch).tileMultiple(arch);
  return m > 1 ? m : null;
}

/** Rows (or columns) SwinIR's test script appends: (size // ws + 1) * ws - size, in 1..ws. */
export function flipPadAmount(size: number, multiple: number): number {
  return (Math.floor(size / multiple) + 1) * multiple - size;
}

/** The 'flip' convention on an NHWC batch (see the file comment). Throws when the padding exceeds the image. */
export function flipPad(x: tf.Tensor4D, multiple: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const ph = flipPadAmount(h, multiple);
  const pw = flipPadAmount(w, multiple);
  if (ph > h || pw > w) {
    throw new Error(`flip padding of a ${h}x${w} image to a multiple of ${multiple} needs padding <= size (pad ${ph}x${pw})`);
  }
  return tf.tidy(() => {
    const rows = tf.concat([x, tf.slice(tf.reverse(x, 1), [0, 0, 0, 0], [-1, ph, -1, -1])], 1);
    return tf.concat([rows, tf.slice(tf.reverse(rows, 2), [0, 0, 0, 0], [-1, -1, pw, -1])], 2);
  });
}

/** The LR size the network (or its tiles) sees under `pad` ('reflect': the image's own; the model pads inside). */
export function testPadSize(h: number, w: number, pad: TestPad, arch: ArchConfig): [number, number] {
  const m = padMultiple(arch);
  if (pad === 'reflect' || m === null) return [h, w];
  return [h + flipPadAmount(h, m), w + flipPadAmount(w, m)];
}

/** Protocol name beside a number: `paper-y` for the default, `paper-y+flip-pad` when 'flip' padded the input. */
export function padProtocolId(protocolId: string, pad: TestPad, arch: ArchConfig): string {
  return pad === 'flip' && padMultiple(arch) !== null ? `${protocolId}+flip-pad` : protocolId;
}

/**
 * `upscaleTiledData` under a padding convention: 'reflect' is the plain call; 'flip' pads the whole LR image
 * first (then tiles, as SwinIR's script does) and crops the output back. Does not dispose `lr`.
 */
export async function upscaleWithPad(net: SRNet, lr: tf.Tensor4D, pad: TestPad, opts: TileOptions = {}): Promise<TiledOutput> {
  const m = padMultiple(net.arch);
  if (pad === 'reflect' || m === null) return upscaleTiledData(net, lr, opts);
  const [, h, w] = lr.shape;
  const xp = flipPad(lr, m);
  let out: TiledOutput;
  try {
    out = await upscaleTiledData(net, xp, opts);
  } finally {
    xp.dispose();
  }
  const s = net.scale;
  const oh = h * s;
  const ow = w * s;
  const data = new Float32Array(oh * ow * 3);
  for (let y = 0; y < oh; y++) data.set(out.data.subarray(y * out.width * 3, (y * out.width + ow) * 3), y * ow * 3);
  return { data, height: oh, width: ow };
}
