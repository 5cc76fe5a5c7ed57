/**
 * Finding the frozen feature networks' files on this machine, so a config that names none (featureWeights null)
 * uses the real network whenever it is present. Searched, in order: the directory $SRKD_WEIGHTS, the directory
 * `srkd weights download` writes to ($SRKD_WEIGHTS_DIR, else ./weights). File names: the registry's (what the
 * download writes) first, then the name the method's own code uses (DCKD's configs: VQGAN_f16_n1024.ckpt).
 * Nothing is downloaded here; without a file the caller falls back to its seeded random network and says so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultWeightsDir } from './weights-download';

export type FeatureNetName = 'vgg19' | 'vqgan';

/** File names tried for each network, in order. */
export const FEATURE_FILE_NAMES: Readonly<Record<FeatureNetName, readonly string[]>> = {
  vgg19: ['vgg19-dcbb9e9d.pth'],
  vqgan: ['vqgan_imagenet_f16_1024.ckpt', 'VQGAN_f16_n1024.ckpt'],
};

/** A function that finds a network's file or returns null (so callers and tests can swap the search). */
export type FeatureWeightsFinder = (net: FeatureNetName) => string | null;

/** The directories searched, in order ($SRKD_WEIGHTS, then the download directory); a set but missing $SRKD_WEIGHTS is an error naming it. */
export function featureWeightsDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  const own = env.SRKD_WEIGHTS;
  if (own) {
    if (!fs.existsSync(own) || !fs.statSync(own).isDirectory()) throw new Error(`SRKD_WEIGHTS must name a directory of weight files (got '${own}')`);
    dirs.push(path.resolve(own));
  }
  const download = defaultWeightsDir(env);
  if (!dirs.includes(path.resolve(download))) dirs.push(path.resolve(download));
  return dirs;
}

/** The first file of `net` found in `dirs` (default featureWeightsDirs()), as an absolute path, or null. */
export function findFeatureWeights(net: FeatureNetName, dirs: readonly string[] = featureWeightsDirs()): string | null {
  for (const dir of dirs) {
    for (const name of FEATURE_FILE_NAMES[net]) {
      const file = path.join(dir, name);
      if (fs.existsSync(file) && fs.statSync(file).isFile()) return path.resolve(file);
    }
  }
  return null;
}
