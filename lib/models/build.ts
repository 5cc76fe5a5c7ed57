/** One entry point for every backbone: validates the config, then builds it with seeded weights (from its ArchSpec). */
import type { Scale, TapName } from '../types';
import { Rng } from '../util/rng';
import { type Check, checkRecord, fail, isPlainObject } from '../config/checks';
import { ARCH_NAMES, type ArchName, archSpec } from './archs/index';
import type { ArchConfig, SRNet } from './types';

export const SCALES: readonly Scale[] = [2, 3, 4];

export function assertScale(scale: unknown): asserts scale is Scale {
  if (!(SCALES as readonly unknown[]).includes(scale)) fail('scale', 'one of 2, 3, 4', scale);
}

/**
 * Throws an error naming the offending key and value, e.g. "arch.feats must be a positive integer (got 0)";
 * unknown and missing keys are errors too. `path` prefixes the key names (e.g. 'student').
 */
export function assertArchConfig(arch: unknown, path = 'arch'): asserts arch is ArchConfig {
  if (!isPlainObject(arch)) fail(path, 'an object', arch);
  if (!(ARCH_NAMES as readonly unknown[]).includes(arch.arch)) fail(`${path}.arch`, `one of ${ARCH_NAMES.map((a) => `'${a}'`).join(', ')}`, arch.arch);
  const spec = archSpec(arch.arch as ArchName);
  checkRecord(arch, spec.schema as Record<string, Check>, path, `a '${spec.name}' config`, ['arch']);
  spec.checkCross?.(arch as unknown as ArchConfig, path);
}

/**
 * Builds a backbone with fresh weights. The same `seed` (default 0) gives bit-identical
 * weights. The caller owns the returned net and must `dispose()` it.
 */
export function buildModel(arch: ArchConfig, scale: Scale, opts: { readonly seed?: number } = {}): SRNet {
  assertArchConfig(arch);
  assertScale(scale);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) fail('seed', 'an integer', seed);
  return archSpec(arch).build(arch, scale, new Rng(seed));
}

/** The feature taps a network built from `arch` offers (same as `buildModel(arch, s).taps`), without building it. */
export function archTaps(arch: ArchConfig): TapName[] {
  assertArchConfig(arch);
  return archSpec(arch).taps(arch);
}
