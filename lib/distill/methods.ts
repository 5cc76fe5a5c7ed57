/**
 * The method table: one MethodSpec per method (method-spec.ts), and everything derived from it: the config
 * union, defaults, validation, building, the printed formula and the contract suite's configs. A method
 * missing here has no kind; a record missing a field does not compile.
 */
import { checkRecord, type Check, fail, isPlainObject } from '../config/checks';
import type { ArchName } from '../models/archs/index';
import type { ArchConfig } from '../models/types';
import type { Scale } from '../types';
import { AT } from './at';
import { AUGKD } from './augkd';
import { CSD } from './csd';
import { DCKD } from './dckd';
import { DUKD } from './dukd';
import { FAKD } from './fakd';
import { FITNET } from './fitnet';
import type { DistillMethod } from './method';
import type { Formula, MethodConfigBase, MethodSpec, RunFacts, TrainFacts } from './method-spec';
import { KD } from './response-kd';
import { SCRATCH } from './scratch';

/** Each record's key must equal its kind. */
type KeyedByKind<T> = { readonly [K in keyof T]: MethodSpec<MethodConfigBase & { readonly kind: K & string }> };

function methodTable<T extends KeyedByKind<T>>(table: T): T {
  for (const [key, spec] of Object.entries(table) as [string, MethodSpec<MethodConfigBase>][]) {
    if (spec.kind !== key) throw new Error(`METHODS.${key} holds the record of '${spec.kind}'`);
  }
  return table;
}

export const METHODS = methodTable({ scratch: SCRATCH, kd: KD, fakd: FAKD, fitnet: FITNET, at: AT, csd: CSD, dukd: DUKD, augkd: AUGKD, dckd: DCKD });

export type MethodKind = keyof typeof METHODS;
type ConfigOf<S> = S extends MethodSpec<infer C> ? C : never;
/** Every method config: a union discriminated on `kind`. */
export type MethodConfig = { [K in MethodKind]: ConfigOf<(typeof METHODS)[K]> }[MethodKind];
export type MethodOf<K extends MethodKind> = Extract<MethodConfig, { kind: K }>;

export const METHOD_KINDS = Object.keys(METHODS) as MethodKind[];

function kindList(): string {
  return METHOD_KINDS.map((k) => `'${k}'`).join(', ');
}

/** The record of a method kind; throws naming the known kinds. */
export function methodSpec<K extends MethodKind>(kind: K): MethodSpec<MethodOf<K>>;
export function methodSpec(kind: string): MethodSpec<MethodConfig>;
export function methodSpec(kind: string): MethodSpec<MethodConfig> {
  const spec = (METHODS as Partial<Record<string, MethodSpec<MethodConfig>>>)[kind];
  if (spec === undefined || !Object.prototype.hasOwnProperty.call(METHODS, kind)) {
    throw new Error(`method.kind must be one of ${kindList()} (got ${JSON.stringify(kind)})`);
  }
  return spec;
}

function archName(arch: ArchName | ArchConfig): ArchName {
  return typeof arch === 'string' ? arch : arch.arch;
}

/** `cfg` adapted to a run (its record's forRun: e.g. DCKD's history schedule and feature-network file), or `cfg` itself. */
export function methodForRun(cfg: MethodConfig, run: RunFacts): MethodConfig {
  const spec = methodSpec(cfg.kind);
  return spec.forRun ? spec.forRun(cfg, run) : cfg;
}

/** The default config of `kind` for a student backbone and scale. A fresh object. */
export function defaultMethodConfig<K extends MethodKind>(kind: K, arch: ArchName | ArchConfig, scale: Scale): MethodOf<K>;
export function defaultMethodConfig(kind: MethodKind, arch: ArchName | ArchConfig, scale: Scale): MethodConfig {
  const spec = methodSpec(kind);
  const a = archName(arch);
  if (a !== 'edsr' && a !== 'rcan' && a !== 'swinir') throw new Error(`arch must be one of 'edsr', 'rcan', 'swinir' (got ${JSON.stringify(a)})`);
  if (scale !== 2 && scale !== 3 && scale !== 4) throw new Error(`scale must be one of 2, 3, 4 (got ${JSON.stringify(scale)})`);
  return spec.defaults(a, scale);
}

/**
 * Throws an error naming the bad key and value, e.g. "method.augProb must be a number in [0, 1] (got 1.5)";
 * unknown and missing keys are errors too. `path` prefixes the key names.
 */
export function assertMethodConfig(cfg: unknown, path = 'method'): asserts cfg is MethodConfig {
  if (!isPlainObject(cfg)) fail(path, 'an object', cfg);
  if (!(METHOD_KINDS as readonly unknown[]).includes(cfg.kind)) fail(`${path}.kind`, `one of ${kindList()}`, cfg.kind);
  const spec = methodSpec(cfg.kind as MethodKind);
  checkRecord(cfg, spec.schema as Record<string, Check>, path, `a '${spec.kind}' config`, ['kind']);
}

/** The method's rules that involve the rest of the train config (after both were validated). */
export function checkMethodInTrain(cfg: MethodConfig, train: TrainFacts, path = 'method'): void {
  methodSpec(cfg.kind).checkTrain?.(cfg, train, path);
}

/** Validates `cfg` (errors name the bad key) and builds its method. `cfg` is read, never written. */
export function buildMethod(cfg: MethodConfig): DistillMethod {
  assertMethodConfig(cfg);
  return methodSpec(cfg.kind).create(cfg);
}

/** Weighted term list per optimiser step (one entry unless the method uses a multi-step update). */
export function formulaTerms(cfg: MethodConfig): Formula {
  return methodSpec(cfg.kind).formula(cfg);
}

function num(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/**
 * The objective the trainer optimises, in one line: "total = 5·rec + 1·kd + 1·zi + 5·zo_rec + 1·zo_kd";
 * two-step methods read "step 1: total = 5·rec + 1·kd; step 2 (gradients accumulate): total = 1·zi + ...".
 */
export function describeFormula(cfg: MethodConfig): string {
  assertMethodConfig(cfg);
  const groups = formulaTerms(cfg);
  const sum = (terms: Formula[number]): string => terms.map(([w, name]) => `${num(w)}·${name}`).join(' + ');
  if (groups.length === 1) return `total = ${sum(groups[0])}`;
  return groups.map((g, i) => `step ${i + 1}${i > 0 ? ' (gradients accumulate)' : ''}: total = ${sum(g)}`).join('; ');
}

/** Whether `kind` trains against a teacher. */
export function needsTeacher(kind: MethodKind): boolean {
  return methodSpec(kind).needsTeacher;
}

/** One config per method variant the contract suite must cover (tiny-net friendly; valid at scale 2). */
export const METHOD_SMOKE_CONFIGS: readonly { readonly name: string; readonly config: MethodConfig }[] = METHOD_KINDS.flatMap(
  (k) => methodSpec(k).smokeConfigs() as readonly { readonly name: string; readonly config: MethodConfig }[],
);
