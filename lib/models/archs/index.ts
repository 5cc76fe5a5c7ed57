/**
 * The backbone table: one ArchSpec per backbone (arch-spec.ts). A backbone missing here, or a record missing a
 * field, does not compile.
 */
import type { Scale } from '../../types';
import type { ArchSpec, Complexity } from '../arch-spec';
import type { ArchConfig } from '../types';
import { EDSR } from './edsr';
import { RCAN } from './rcan';
import { SWINIR } from './swinir';

export type ArchName = ArchConfig['arch'];
export type ArchOf<A extends ArchName> = Extract<ArchConfig, { arch: A }>;

export const ARCHS = { edsr: EDSR, rcan: RCAN, swinir: SWINIR } as const satisfies { readonly [A in ArchName]: ArchSpec<ArchOf<A>> };

export const ARCH_NAMES = Object.keys(ARCHS) as ArchName[];

/** The record of a backbone name (or of a config's `arch`); throws naming the known ones. */
export function archSpec<A extends ArchName>(arch: A | ArchOf<A>): ArchSpec<ArchOf<A>>;
export function archSpec(arch: ArchName | ArchConfig): ArchSpec;
export function archSpec(arch: ArchName | ArchConfig): ArchSpec {
  const name = typeof arch === 'string' ? arch : arch.arch;
  const spec = (ARCHS as Partial<Record<string, ArchSpec>>)[name];
  if (spec === undefined) throw new Error(`arch must be one of ${ARCH_NAMES.map((a) => `'${a}'`).join(', ')} (got ${JSON.stringify(name)})`);
  return spec;
}

/**
 * Parameter count and MAC count (fvcore convention, DUKD Table 1's "FLOPs") of `arch` at `scale` for one
 * lrHeight x lrWidth input (default 256 x 256, the Table 1 setting); see complexity.ts for what is counted.
 */
export function analyticComplexity(arch: ArchConfig, scale: Scale, lrHeight = 256, lrWidth = 256): Complexity {
  return archSpec(arch).complexity(arch, scale, lrHeight, lrWidth);
}

/** Analytic parameter count (see analyticComplexity). */
export function analyticParams(arch: ArchConfig, scale: Scale): number {
  return analyticComplexity(arch, scale, 8, 8).params;
}

/** Analytic MAC count for an LR input of lrHeight x lrWidth. */
export function analyticMacs(arch: ArchConfig, scale: Scale, lrHeight = 256, lrWidth = 256): number {
  return analyticComplexity(arch, scale, lrHeight, lrWidth).macs;
}
