/**
 * Image files <-> RgbImage, through sharp. Every decoded image is 8-bit RGB, as BasicSR's
 * `cv2.imread(..., IMREAD_COLOR)` gives it: grayscale is copied to three channels, alpha is dropped
 * (not composited), 16-bit samples keep their high byte (`v >> 8`, what libpng's strip_16 does
 * inside OpenCV). Each such conversion is reported once per process and kind (see `setDecodeWarn`).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs';
import { createImage, imageToTensor, type RgbImage } from './image';

export type DecodeNoteKind = 'grayscale' | 'alpha' | '16-bit' | 'colourspace';
export type DecodeNote = { kind: DecodeNoteKind; message: string };
export type DecodedImage = { image: RgbImage; notes: DecodeNote[] };

let warn: ((line: string) => void) | null = (line) => process.stderr.write(`srkd: ${line}\n`);
const warned = new Set<DecodeNoteKind>();

/** Where `readImage` reports conversions (once per kind per process); null silences it. Returns the previous sink. */
export function setDecodeWarn(sink: ((line: string) => void) | null): ((line: string) => void) | null {
  const prev = warn;
  warn = sink;
  return prev;
}

/** Forget which conversions were already reported (tests). */
export function resetDecodeWarnings(): void {
  warned.clear();
}

/** Decodes an encoded image held in memory; `name` is used in notes and errors. */
export async function decodeImageBuffer(buf: Buffer, name: string): Promise<DecodedImage> {
  try {
    const meta = await sharp(buf).metadata();
    const wide = meta.depth === 'ushort';
    if (meta.depth !== undefined && meta.depth !== 'uchar' && !wide) {
      throw new Error(`unsupported sample format '${meta.depth}' (8- or 16-bit images only)`);
    }
    const grey = meta.space === 'b-w' || meta.space === 'grey16';
    const notes: DecodeNote[] = [];
    if (grey) notes.push({ kind: 'grayscale', message: `${name}: grayscale image copied to 3 equal channels` });
    if (wide) notes.push({ kind: '16-bit', message: `${name}: 16-bit samples reduced to 8 bits (high byte, as OpenCV)` });
    if (!grey && meta.space && !['srgb', 'rgb', 'rgb16'].includes(meta.space)) {
      notes.push({ kind: 'colourspace', message: `${name}: colour space '${meta.space}' converted to sRGB` });
    }
    // Ask for the file's own band layout and depth so no colour conversion touches the samples.
    const space = grey ? (wide ? 'grey16' : 'b-w') : wide ? 'rgb16' : 'srgb';
    const { data, info } = await sharp(buf)
      .toColourspace(space)
      .raw({ depth: wide ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const colour = grey ? 1 : 3;
    const bands = info.channels;
    if (bands < colour) throw new Error(`decoded to ${bands} channel(s), expected at least ${colour}`);
    if (bands > colour) notes.push({ kind: 'alpha', message: `${name}: alpha channel dropped` });
    // raw 16-bit samples are native-endian; copy first if the view would be misaligned
    const aligned = wide && data.byteOffset % 2 !== 0 ? Buffer.from(data) : data;
    const samples = wide ? new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2) : data;
    const shift = wide ? 8 : 0;
    const img = createImage(info.height, info.width);
    const out = img.data;
    const n = info.width * info.height;
    for (let p = 0; p < n; p++) {
      const s = p * bands;
      if (grey) {
        const v = samples[s] >> shift;
        out[3 * p] = v;
        out[3 * p + 1] = v;
        out[3 * p + 2] = v;
      } else {
        out[3 * p] = samples[s] >> shift;
        out[3 * p + 1] = samples[s + 1] >> shift;
        out[3 * p + 2] = samples[s + 2] >> shift;
      }
    }
    return { image: img, notes };
  } catch (err) {
    throw new Error(`cannot decode image '${name}': ${(err as Error).message}`);
  }
}

/** Reads and decodes a file, returning the conversions applied (grayscale, alpha, 16-bit, colour space). */
export async function decodeImage(file: string): Promise<DecodedImage> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file); // read ourselves: sharp's file cache could return stale pixels after a rewrite
  } catch (err) {
    throw new Error(`cannot read image '${file}': ${(err as Error).message}`);
  }
  return decodeImageBuffer(buf, file);
}

/** Reads an image file as 8-bit RGB; conversions are reported once per kind through the warn sink. */
export async function readImage(file: string): Promise<RgbImage> {
  const { image, notes } = await decodeImage(file);
  for (const note of notes) {
    if (warned.has(note.kind)) continue;
    warned.add(note.kind);
    warn?.(`${note.message} (reported once; later ${note.kind} files are converted silently)`);
  }
  return image;
}

/** Reads an image file as a [1, H, W, 3] float32 tensor in [0,1]. The caller owns the tensor. */
export async function readImageTensor(file: string): Promise<tf.Tensor4D> {
  return imageToTensor(await readImage(file));
}

/** PNG bytes of an image (lossless, 8-bit RGB). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  if (img.data.length !== img.height * img.width * 3) {
    throw new Error(`image data has ${img.data.length} values, expected ${img.height} x ${img.width} x 3`);
  }
  const raw = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return sharp(raw, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}

/** Writes an image as an 8-bit RGB PNG, creating the parent folder if needed. */
export async function writePng(file: string, img: RgbImage): Promise<void> {
  const bytes = await encodePng(img);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, bytes);
}
