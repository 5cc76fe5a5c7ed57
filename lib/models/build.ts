/** One entry point for every backbone: validates the config, then builds it with seeded weights. */
import type { Scale, TapName } from '../types';
import { Rng } from '../util/rng';
import { buildEdsr, edsrTaps } from './edsr';
import { buildRcan, rcanTaps } from './rcan';
import { buildSwinIR, swinirTaps } from './swinir';
import type { ArchConfig, SRNet } from './types';

export const SCALES: readonly Scale[] = [2, 3, 4];

function fail(key: string, want: string, got: unknown): never {
  throw new Error(`${key} must be ${want} (got ${JSON.stringify(got)})`);
}

function posInt(key: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(key, 'a positive integer', v);
}

function finite(key: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(key, 'a finite number', v);
}

export function assertScale(scale: unknown): asserts scale is Scale {
  if (!(SCALES as readonly unknown[]).includes(scale)) fail('scale', 'one of 2, 3, 4', scale);
}

/** Throws an error naming the offending key and value, e.g. "arch.feats must be a positive integer (got 0)". */
export function assertArchConfig(arch: unknown): asserts arch is ArchConfig {
  if (typeof arch !== 'object' || arch === null) fail('arch', 'an object', arch);
  const a = arch as Record<string, unknown>;
  switch (a.arch) {
    case 'edsr':
      posInt('arch.feats', a.feats);
      posInt('arch.blocks', a.blocks);
      finite('arch.resScale', a.resScale);
      return;
    case 'rcan':
      posInt('arch.feats', a.feats);
      posInt('arch.groups', a.groups);
      posInt('arch.blocks', a.blocks);
      posInt('arch.reduction', a.reduction);
      if ((a.reduction as number) > (a.feats as number)) {
        fail('arch.reduction', `at most arch.feats (${a.feats as number})`, a.reduction);
      }
      finite('arch.resScale', a.resScale);
      return;
    case 'swinir': {
      posInt('arch.embedDim', a.embedDim);
      posInt('arch.windowSize', a.windowSize);
      if (!Array.isArray(a.depths) || a.depths.length === 0) fail('arch.depths', 'a non-empty array', a.depths);
      (a.depths as unknown[]).forEach((d, i) => posInt(`arch.depths[${i}]`, d));
      if (!Array.isArray(a.heads) || a.heads.length !== (a.depths as unknown[]).length) {
        fail('arch.heads', `an array as long as arch.depths (${(a.depths as unknown[]).length})`, a.heads);
      }
      (a.heads as unknown[]).forEach((h, i) => {
        posInt(`arch.heads[${i}]`, h);
        if ((a.embedDim as number) % (h as number) !== 0) {
          fail(`arch.heads[${i}]`, `a divisor of arch.embedDim (${a.embedDim as number})`, h);
        }
      });
      finite('arch.mlpRatio', a.mlpRatio);
      if (Math.floor((a.embedDim as number) * (a.mlpRatio as number)) < 1) fail('arch.mlpRatio', '> 0', a.mlpRatio);
      if (a.upsampler !== 'pixelshuffle' && a.upsampler !== 'pixelshuffledirect') {
        fail('arch.upsampler', "'pixelshuffle' or 'pixelshuffledirect'", a.upsampler);
      }
      posInt('arch.upsampleFeats', a.upsampleFeats);
      return;
    }
    default:
      fail('arch.arch', "one of 'edsr', 'rcan', 'swinir'", a.arch);
  }
}

/**
 * Builds a backbone with fresh weights (spec/architectures.md). The same `seed` (default 0) gives bit-identical
 * weights. The caller owns the returned net and must `dispose()` it.
 */
export function buildModel(arch: ArchConfig, scale: Scale, opts: { readonly seed?: number } = {}): SRNet {
  assertArchConfig(arch);
  assertScale(scale);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) fail('seed', 'an integer', seed);
  const rng = new Rng(seed);
  switch (arch.arch) {
    case 'edsr':
      return buildEdsr(arch, scale, rng);
    case 'rcan':
      return buildRcan(arch, scale, rng);
    case 'swinir':
      return buildSwinIR(arch, scale, rng);
  }
}

/** The feature taps a network built from `arch` offers (same as `buildModel(arch, s).taps`), without building it. */
export function archTaps(arch: ArchConfig): TapName[] {
  assertArchConfig(arch);
  switch (arch.arch) {
    case 'edsr':
      return edsrTaps(arch);
    case 'rcan':
      return rcanTaps(arch);
    case 'swinir':
      return swinirTaps(arch);
  }
}
