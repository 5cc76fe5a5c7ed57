/**
 * LR images made on the fly from HR files (HR mod-cropped to the scale, then MATLAB-exact uint8 bicubic by 1/s,
 * as the DIV2K and benchmark LR files were made) and cached
 * on disk as PNG. The cache file name carries a key hashed from the HR file's absolute path, size and
 * modification time, the scale and LR_CACHE_VERSION, so an edited HR file or a changed resize never
 * reuses a stale LR image. Writes are atomic (temporary file + rename).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { RgbImage } from './image';
import { readImage, writePng } from './decode';
import { imresizeUint8, modCrop } from './bicubic';

/** Bump when the resize or the cache format changes: old entries are then ignored. */
export const LR_CACHE_VERSION = 1;

/** Default LR cache folder: env SRKD_CACHE_DIR, else `.cache/srkd/lr` under the working directory. */
export function defaultLrCacheDir(): string {
  const env = process.env.SRKD_CACHE_DIR;
  return env ? path.resolve(env, 'lr') : path.resolve('.cache', 'srkd', 'lr');
}

/** `bicubic_down(modCrop(hr, s), s)` with MATLAB uint8 rounding; the LR is exactly (H/s) x (W/s). */
export function bicubicLr(hr: RgbImage, scale: number): RgbImage {
  return imresizeUint8(modCrop(hr, scale), 1 / scale);
}

/** Where the cached LR of `hrFile` at `scale` lives (the file may not exist yet). */
export function lrCachePath(hrFile: string, scale: number, cacheDir: string): string {
  const abs = path.resolve(hrFile);
  const st = fs.statSync(abs);
  const key = createHash('sha256')
    .update(JSON.stringify({ v: LR_CACHE_VERSION, file: abs, size: st.size, mtimeMs: st.mtimeMs, scale }))
    .digest('hex').slice(0, 16);
  const stem = path.basename(abs).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  return path.join(cacheDir, `${stem}-${key}x${scale}.png`);
}

/** The LR image for `hrFile`, from the cache or made (and cached) from `hr` (read from the file if not given). */
export async function cachedBicubicLr(hrFile: string, scale: number, cacheDir: string, hr?: RgbImage): Promise<RgbImage> {
  const cached = lrCachePath(hrFile, scale, cacheDir);
  if (fs.existsSync(cached)) {
    try {
      return await readImage(cached);
    } catch {
      // a corrupt cache entry: remake it below
    }
  }
  const lr = bicubicLr(hr ?? (await readImage(hrFile)), scale);
  const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writePng(tmp, lr);
    fs.renameSync(tmp, cached);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`cannot write the LR cache file ${cached}: ${(err as Error).message}`);
  }
  return lr;
}
