import * as fs from 'node:fs';
import * as path from 'node:path';

/** Default data root: env SRKD_DATA, else `data/` under the working directory (git-ignored). */
export function defaultDataRoot(): string {
  return path.resolve(process.env.SRKD_DATA || 'data');
}

/**
 * The real Set5 and Set14 images that travel with the git repository (`test/fixtures/data/benchmark/<Set>/HR`
 * and `LR_bicubic/X2..X4`; sources and terms in test/fixtures/README.md), found from this file's location, not
 * the working directory. Notebooks fall back to them when the data root holds no benchmark set, so a fresh
 * clone shows real images. Null where the folder is absent (an install without the repository's test folder);
 * callers then use the embedded synthetic set.
 */
export function repositorySampleRoot(): string | null {
  const root = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'data');
  return fs.existsSync(path.join(root, 'benchmark')) ? root : null;
}
