/**
 * Method configs: plain JSON, a union discriminated on `kind` (STYLE.md section 2). Defaults follow
 * spec/methods.md section 11, with DUKD's per-backbone/per-scale settings from the 7.3 table.
 * CSD and DCKD join the union later (one member + one case in build.ts + one in formula.ts).
 */
import type { ArchConfig } from '../models/types';
import type { Scale, TapName } from '../types';

export type MethodKind = 'scratch' | 'kd' | 'fakd' | 'dukd' | 'augkd';
export const METHOD_KINDS: readonly MethodKind[] = ['scratch', 'kd', 'fakd', 'dukd', 'augkd'];

export type ArchName = ArchConfig['arch'];

/** Section 3: L = 1·rec. No knobs. */
export interface ScratchConfig {
  readonly kind: 'scratch';
}

/** Section 4: L = recWeight·L1(S,y) + kdWeight·L1(S,T). Defaults 1 / 1. */
export interface KdConfig {
  readonly kind: 'kd';
  readonly recWeight: number;
  readonly kdWeight: number;
}

/**
 * FAKD tap positions (section 5, A-FAKD-3/4):
 *  - 'thirds' (default, official FAKD): after floor(n/3) and floor(2n/3) units of the student body (RCAN with
 *    10 groups: after groups 3 and 7, as FAKD-code) plus 'body.out'; the teacher unit is round(k·nT/nS)
 *    (identity when depths match; the SwinIR mapping of A-FAKD-4, non-canonical). Units: EDSR blocks,
 *    RCAN groups, SwinIR RSTBs; "after 0 units" is 'head'.
 *  - 'dukd4': DUKD-code's list: 'head', after floor(n/3)+1 and floor(2n/3)+1 blocks (EDSR 32: body.10, body.21),
 *    RCAN after groups 3 and 7, plus 'body.out'.
 *  - explicit tap names per network (same length; spatial sizes must match).
 * Note: this kit's 'body.out' tap is conv_after_body plus the global skip; FAKD-code taps before the skip.
 */
export type FakdTaps = 'thirds' | 'dukd4' | { readonly student: readonly TapName[]; readonly teacher: readonly TapName[] };

/**
 * Section 5: L = recWeight·L1(S,y) + kdWeight·L1(S,T) + affinityWeight·Σ_l L1(A(F_S^l), A(sg F_T^l)).
 * Defaults (1−α, α, β) = (0.5, 0.5, 10/255): FAKD-code's α = 0.5, β = 10 rescaled to [0,1] images (A-FAKD-1).
 * Preset 'fakd-dukd-weights' = (1, 1, 10).
 */
export interface FakdConfig {
  readonly kind: 'fakd';
  readonly recWeight: number;
  readonly kdWeight: number;
  readonly affinityWeight: number;
  readonly taps: FakdTaps;
}

export type UpdateMode = 'single' | 'twoStepAccumulate';

/** The data-upcycling engine's switches, shared by DUKD and AugKD (sections 7, 9). */
export interface UpcyclingOptions {
  /** Zoom-in stream: n HR tiles of LR size as extra student inputs, teacher-labelled (7.2). */
  readonly zoomIn: boolean;
  /** Zoom-out stream: down_s(x) as student input, targets x (rec) and T(down_s(x)) (kd) (7.2). */
  readonly zoomOut: boolean;
  /** Invertible augmentation (label consistency, 7.4) on the zoom-in student inputs. */
  readonly invAug: boolean;
  /** Include colour inversion I among the invertible ops (false = geometric-only kit ablation). */
  readonly colorInvert: boolean;
  /** Per-op, per-sample probability q of the invertible ops (0.3 in every DUKD config). */
  readonly augProb: number;
  /** Zoom-in tiles per image, n (1; 2 for EDSR ×2). At most scale² (the grid's cells). */
  readonly tiles: number;
  /** Also augment the zoom-out student input (default false: DUKD-code augments zoom-in only, 7.4). */
  readonly augmentZoomOut: boolean;
  /** Reproduce DUKD-code's wrong inverse order (forensic only; default false). */
  readonly legacyInverseOrder: boolean;
  /** 'single' (default, the paper's loss) or DUKD-code's 'twoStepAccumulate' (7.5). */
  readonly updateMode: UpdateMode;
}

/**
 * Section 7.3: L = recWeight·rec + kdWeight·kd + kdWeight·zi + recWeight·zo_rec + kdWeight·zo_kd
 * (zi only with zoomIn, zo_* only with zoomOut). Defaults per backbone/scale from the 7.3 table.
 */
export interface DukdConfig extends UpcyclingOptions {
  readonly kind: 'dukd';
  readonly recWeight: number;
  readonly kdWeight: number;
}

/**
 * Section 9, AugKD = the DUKD engine with the paper's weight names: L = recWeight·L_rec + kdWeight·L_kd +
 * augkdWeight·(L_zi + L_zo_kd) + zoomOutRecWeight·L_zo_rec. The AugKD text is not available (section 13.1), so
 * every value it does not pin down is an option; defaults:
 *  - recWeight, kdWeight, augkdWeight, zoomOutRecWeight: DUKD-code's w_rec, w_kd, w_kd, w_rec for the
 *    backbone/scale (EDSR/SwinIR 5, 1, 1, 5: λ_kd = λ_augkd = 0.2 relative to L_rec; RCAN ×2/×4 1, 1, 1, 1;
 *    RCAN ×3 2, 1, 1, 2);
 *  - zoomIn true; zoomOut true except SwinIR (false); invAug true; colorInvert true; augProb 0.3;
 *  - tiles: DUKD-code's n_gt_sub (2 for EDSR ×2, else 1);
 *  - augmentZoomOut false (unknown whether AugKD augments zoom-out samples);
 *  - updateMode 'single' (unknown whether the two-step update was used); legacyInverseOrder false.
 */
export interface AugkdConfig extends UpcyclingOptions {
  readonly kind: 'augkd';
  readonly recWeight: number;
  readonly kdWeight: number;
  readonly augkdWeight: number;
  readonly zoomOutRecWeight: number;
}

export type MethodConfig = ScratchConfig | KdConfig | FakdConfig | DukdConfig | AugkdConfig;
export type MethodOf<K extends MethodKind> = Extract<MethodConfig, { kind: K }>;

/** DUKD-code's settings per backbone and scale (spec 7.3 table). */
export function dukdCodeSetting(
  arch: ArchName,
  scale: Scale,
): { recWeight: number; kdWeight: number; zoomOut: boolean; invAug: boolean; tiles: number } {
  switch (arch) {
    case 'edsr':
      return { recWeight: 5, kdWeight: 1, zoomOut: true, invAug: true, tiles: scale === 2 ? 2 : 1 };
    case 'rcan':
      if (scale === 3) return { recWeight: 2, kdWeight: 1, zoomOut: true, invAug: true, tiles: 1 };
      // x2: no `noisy` block; x4: prob 0.0 -- both mean no invertible augmentation
      return { recWeight: 1, kdWeight: 1, zoomOut: false, invAug: false, tiles: 1 };
    case 'swinir':
      return { recWeight: 5, kdWeight: 1, zoomOut: false, invAug: true, tiles: 1 };
  }
}

function archName(arch: ArchName | ArchConfig): ArchName {
  const a = typeof arch === 'string' ? arch : arch.arch;
  if (a !== 'edsr' && a !== 'rcan' && a !== 'swinir') {
    throw new Error(`arch must be one of 'edsr', 'rcan', 'swinir' (got ${JSON.stringify(a)})`);
  }
  return a;
}

/** The default config of `kind` for a backbone (the student's arch) and scale. A fresh object. */
export function defaultMethodConfig<K extends MethodKind>(kind: K, arch: ArchName | ArchConfig, scale: Scale): MethodOf<K>;
export function defaultMethodConfig(kind: MethodKind, arch: ArchName | ArchConfig, scale: Scale): MethodConfig {
  const a = archName(arch);
  if (scale !== 2 && scale !== 3 && scale !== 4) throw new Error(`scale must be one of 2, 3, 4 (got ${JSON.stringify(scale)})`);
  const common = {
    colorInvert: true,
    augProb: 0.3,
    augmentZoomOut: false,
    legacyInverseOrder: false,
    updateMode: 'single',
  } as const;
  switch (kind) {
    case 'scratch':
      return { kind };
    case 'kd':
      return { kind, recWeight: 1, kdWeight: 1 };
    case 'fakd':
      return { kind, recWeight: 0.5, kdWeight: 0.5, affinityWeight: 10 / 255, taps: 'thirds' };
    case 'dukd': {
      const s = dukdCodeSetting(a, scale);
      const { recWeight, kdWeight, zoomOut, invAug, tiles } = s;
      return { kind, recWeight, kdWeight, zoomIn: true, zoomOut, invAug, tiles, ...common };
    }
    case 'augkd': {
      const s = dukdCodeSetting(a, scale);
      return {
        kind,
        recWeight: s.recWeight,
        kdWeight: s.kdWeight,
        augkdWeight: s.kdWeight,
        zoomOutRecWeight: s.recWeight,
        zoomIn: true,
        zoomOut: a !== 'swinir',
        invAug: true,
        tiles: s.tiles,
        ...common,
      };
    }
    default:
      throw new Error(`method.kind must be one of ${METHOD_KINDS.map((k) => `'${k}'`).join(', ')} (got ${JSON.stringify(kind)})`);
  }
}

/** Named method presets of spec section 11 (plus forensic/ablation variants). */
export const METHOD_PRESET_NAMES = [
  'scratch',
  'kd',
  'fakd',
  'fakd-dukd-weights',
  'dukd-zi',
  'dukd-zo',
  'dukd-zi-zo',
  'dukd-zi-da',
  'dukd',
  'dukd-geometric-da',
  'dukd-release',
  'augkd',
] as const;
export type MethodPresetName = (typeof METHOD_PRESET_NAMES)[number];

/**
 * A preset's config for a backbone and scale. The 'dukd-*' ablation rows (Table 4) set the three switches
 * explicitly on top of the backbone's weights; 'dukd' is the backbone's DUKD-code setting; 'dukd-release' adds
 * the code's two-step update and inverse-order bug; 'dukd-geometric-da' is full DUKD without colour inversion.
 */
export function methodPreset(name: MethodPresetName, arch: ArchName | ArchConfig, scale: Scale): MethodConfig {
  const dukd = defaultMethodConfig('dukd', arch, scale);
  const flags = (zoomIn: boolean, zoomOut: boolean, invAug: boolean): DukdConfig => ({ ...dukd, zoomIn, zoomOut, invAug });
  switch (name) {
    case 'scratch':
    case 'kd':
    case 'fakd':
    case 'dukd':
    case 'augkd':
      return defaultMethodConfig(name, arch, scale);
    case 'fakd-dukd-weights':
      return { ...defaultMethodConfig('fakd', arch, scale), recWeight: 1, kdWeight: 1, affinityWeight: 10 };
    case 'dukd-zi':
      return flags(true, false, false);
    case 'dukd-zo':
      return flags(false, true, false);
    case 'dukd-zi-zo':
      return flags(true, true, false);
    case 'dukd-zi-da':
      return flags(true, false, true);
    case 'dukd-geometric-da':
      return { ...dukd, colorInvert: false };
    case 'dukd-release':
      return { ...dukd, updateMode: 'twoStepAccumulate', legacyInverseOrder: true };
    default: {
      const never: never = name;
      throw new Error(`unknown method preset ${JSON.stringify(never)}; known: ${METHOD_PRESET_NAMES.join(', ')}`);
    }
  }
}

// --- validation ---------------------------------------------------------------------------------------------

type Check = (key: string, v: unknown) => void;

function fail(key: string, want: string, got: unknown): never {
  throw new Error(`${key} must be ${want} (got ${JSON.stringify(got)})`);
}
const weight: Check = (k, v) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(k, 'a finite number >= 0', v);
};
const bool: Check = (k, v) => {
  if (typeof v !== 'boolean') fail(k, 'true or false', v);
};
const prob: Check = (k, v) => {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(k, 'a number in [0, 1]', v);
};
const posInt: Check = (k, v) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(k, 'a positive integer', v);
};
const updateMode: Check = (k, v) => {
  if (v !== 'single' && v !== 'twoStepAccumulate') fail(k, "'single' or 'twoStepAccumulate'", v);
};
const tapList = (k: string, v: unknown): void => {
  if (!Array.isArray(v) || v.length === 0) fail(k, 'a non-empty array of tap names', v);
  (v as unknown[]).forEach((t, i) => {
    if (typeof t !== 'string' || t.length === 0) fail(`${k}[${i}]`, 'a tap name', t);
  });
};
const fakdTaps: Check = (k, v) => {
  if (v === 'thirds' || v === 'dukd4') return;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(k, "'thirds', 'dukd4' or { student, teacher }", v);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'student' && key !== 'teacher') fail(`${k}.${key}`, 'absent (allowed keys: student, teacher)', o[key]);
  }
  tapList(`${k}.student`, o.student);
  tapList(`${k}.teacher`, o.teacher);
  if ((o.student as unknown[]).length !== (o.teacher as unknown[]).length) {
    fail(`${k}.teacher`, `as long as ${k}.student (${(o.student as unknown[]).length})`, o.teacher);
  }
};

const UPCYCLING: Record<keyof UpcyclingOptions, Check> = {
  zoomIn: bool,
  zoomOut: bool,
  invAug: bool,
  colorInvert: bool,
  augProb: prob,
  tiles: posInt,
  augmentZoomOut: bool,
  legacyInverseOrder: bool,
  updateMode,
};

const SCHEMA: { readonly [K in MethodKind]: Record<Exclude<keyof MethodOf<K>, 'kind'>, Check> } = {
  scratch: {},
  kd: { recWeight: weight, kdWeight: weight },
  fakd: { recWeight: weight, kdWeight: weight, affinityWeight: weight, taps: fakdTaps },
  dukd: { recWeight: weight, kdWeight: weight, ...UPCYCLING },
  augkd: { recWeight: weight, kdWeight: weight, augkdWeight: weight, zoomOutRecWeight: weight, ...UPCYCLING },
};

/**
 * Throws an error naming the bad key and value, e.g. "method.augProb must be a number in [0, 1] (got 1.5)";
 * unknown and missing keys are errors too. `path` prefixes the key names.
 */
export function assertMethodConfig(cfg: unknown, path = 'method'): asserts cfg is MethodConfig {
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) fail(path, 'an object', cfg);
  const c = cfg as Record<string, unknown>;
  if (!(METHOD_KINDS as readonly unknown[]).includes(c.kind)) {
    fail(`${path}.kind`, `one of ${METHOD_KINDS.map((k) => `'${k}'`).join(', ')}`, c.kind);
  }
  const schema = SCHEMA[c.kind as MethodKind] as Record<string, Check>;
  for (const key of Object.keys(c)) {
    if (key !== 'kind' && !(key in schema)) {
      const keys = Object.keys(schema).join(', ') || 'none';
      fail(`${path}.${key}`, `absent (not a key of a '${c.kind as string}' config; keys: ${keys})`, c[key]);
    }
  }
  for (const [key, check] of Object.entries(schema)) {
    if (!(key in c)) throw new Error(`${path}.${key} is missing (a '${c.kind as string}' config needs it)`);
    check(`${path}.${key}`, c[key]);
  }
}

/** One config per method variant the contract suite must cover (tiny-net friendly; valid at scale 2). */
export const METHOD_SMOKE_CONFIGS: readonly { readonly name: string; readonly config: MethodConfig }[] = [
  { name: 'scratch', config: defaultMethodConfig('scratch', 'edsr', 2) },
  { name: 'kd', config: defaultMethodConfig('kd', 'edsr', 2) },
  { name: 'fakd', config: defaultMethodConfig('fakd', 'edsr', 2) },
  { name: 'fakd-dukd4', config: { ...defaultMethodConfig('fakd', 'edsr', 2), taps: 'dukd4' } },
  { name: 'dukd', config: defaultMethodConfig('dukd', 'edsr', 2) },
  { name: 'dukd-zo-aug', config: { ...defaultMethodConfig('dukd', 'edsr', 2), augmentZoomOut: true, augProb: 0.5 } },
  { name: 'dukd-release', config: methodPreset('dukd-release', 'edsr', 2) },
  { name: 'dukd-zo', config: methodPreset('dukd-zo', 'edsr', 2) },
  { name: 'augkd', config: defaultMethodConfig('augkd', 'edsr', 2) },
];
