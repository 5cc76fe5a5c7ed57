/**
 * Decoded-pixel disk cache for a dataset: each pair's mod-cropped HR and LR pixels are stored once as one
 * raw file (`SRKDPIX1` header + HR bytes + LR bytes), so later epochs and later runs read ~10 MB of raw
 * bytes instead of decoding two PNGs (a 2K DIV2K PNG takes ~100 ms to decode; the raw read a few ms).
 * This is the on-disk complement of the in-memory LRU of batches.ts, for data sets larger than RAM
 * (DIV2K x2 is ~8.5 GB decoded). The key hashes the source files' absolute paths, sizes, modification
 * times and the scale, so an edited image is never served stale. Writes are atomic (temp + rename).
 * Pairs without files (synthetic) pass through unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { createImage } from './image';
import type { Dataset, DatasetPair, ImagePair } from './datasets';

const MAGIC = 'SRKDPIX1';
const HEADER = 24;
/** Bump when the file format or the decode rules change. */
export const PIXEL_CACHE_VERSION = 1;

function fileStamp(file: string | null): unknown {
  if (!file) return null;
  const abs = path.resolve(file);
  const st = fs.statSync(abs);
  return [abs, st.size, st.mtimeMs];
}

/** The cache file of a pair (it may not exist yet), or null when the pair has no source files. */
export function pixelCachePath(pair: DatasetPair, scale: number, dir: string): string | null {
  if (!pair.hrPath) return null;
  const key = createHash('sha256')
    .update(JSON.stringify({ v: PIXEL_CACHE_VERSION, hr: fileStamp(pair.hrPath), lr: fileStamp(pair.lrPath), scale }))
    .digest('hex').slice(0, 20);
  return path.join(dir, `${pair.name.replace(/[^A-Za-z0-9_.-]/g, '_')}-x${scale}-${key}.pix`);
}

function encode(p: ImagePair): Buffer {
  const head = Buffer.alloc(HEADER);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(p.hr.height, 8);
  head.writeUInt32LE(p.hr.width, 12);
  head.writeUInt32LE(p.lr.height, 16);
  head.writeUInt32LE(p.lr.width, 20);
  return Buffer.concat([head, p.hr.data, p.lr.data]);
}

function decode(buf: Buffer, file: string): ImagePair {
  if (buf.length < HEADER || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${file}: not a pixel cache file`);
  const hh = buf.readUInt32LE(8), hw = buf.readUInt32LE(12), lh = buf.readUInt32LE(16), lw = buf.readUInt32LE(20);
  const hrLen = hh * hw * 3, lrLen = lh * lw * 3;
  if (buf.length !== HEADER + hrLen + lrLen) throw new Error(`${file}: truncated pixel cache file`);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return { hr: createImage(hh, hw, bytes.subarray(HEADER, HEADER + hrLen)), lr: createImage(lh, lw, bytes.subarray(HEADER + hrLen)) };
}

/**
 * Reads a whole file with as few thread-pool requests as possible (one, for a regular file): `readFile`
 * reads in 512 KB chunks, each needing the main thread to issue the next, so it stalls while a training
 * step keeps the main thread busy.
 */
async function readWhole(file: string): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(buf, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** The same dataset whose pairs load through the raw-pixel cache in `dir`. */
export function withPixelCache(ds: Dataset, dir: string): Dataset {
  const root = path.resolve(dir);
  fs.mkdirSync(root, { recursive: true });
  const pairs = ds.pairs.map((pair): DatasetPair => {
    if (!pair.hrPath) return pair;
    return {
      ...pair,
      load: async () => {
        const file = pixelCachePath(pair, ds.scale, root) as string;
        try {
          return decode(await readWhole(file), file);
        } catch {
          // missing or unreadable: decode the images and (re)write the entry
        }
        const p = await pair.load();
        const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
        try {
          await fs.promises.writeFile(tmp, encode(p));
          await fs.promises.rename(tmp, file);
        } catch (err) {
          await fs.promises.rm(tmp, { force: true });
          throw new Error(`cannot write the pixel cache file ${file}: ${(err as Error).message}`);
        }
        return p;
      },
    };
  });
  return { ...ds, pairs };
}
