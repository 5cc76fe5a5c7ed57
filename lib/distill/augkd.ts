/**
 * AugKD (the DUKD authors' follow-up): the DUKD engine (dukd.ts) with AugKD's weight names,
 *   L = recWeight·L_rec + kdWeight·L_kd + augkdWeight·(L_zi + L_zo_kd) + zoomOutRecWeight·L_zo_rec
 *       [+ fakd.affinityWeight·Σ_l L1(A(F_S^l), A(sg F_T^l))   with `fakd` set: AugKD on top of FAKD, AugKD Table 8].
 * The AugKD text available to us does not pin every value down, so each open value is an option of
 * AugkdConfig with the default named there.
 */
import { type Check, checkRecord, fail, isPlainObject, weight } from '../config/checks';
import { type FakdTaps, fakdTaps } from './fakd';
import { archSpec } from '../models/archs/index';
import type { ArchName } from '../models/archs/index';
import type { Scale } from '../types';
import { checkUpcyclingTrain, type UpcyclingOptions, type UpcyclingPrep, UPCYCLING_COMMON, UPCYCLING_SCHEMA, upcyclingFormula, upcyclingMethod } from './dukd';
import type { DistillMethod } from './method';
import type { Formula, MethodSpec } from './method-spec';

/**
 * Defaults:
 *  - recWeight, kdWeight, augkdWeight, zoomOutRecWeight: DUKD code's w_rec, w_kd, w_kd, w_rec for the
 *    backbone/scale (EDSR/SwinIR 5, 1, 1, 5: λ_kd = λ_augkd = 0.2 relative to L_rec; RCAN ×2/×4 1, 1, 1, 1;
 *    RCAN ×3 2, 1, 1, 2);
 *  - zoomIn true; zoomOut true except SwinIR (false); invAug true; colorInvert true; augProb 0.3;
 *  - tiles: DUKD code's n_gt_sub (2 for EDSR ×2, else 1);
 *  - augmentZoomOut false (unknown whether AugKD augments zoom-out samples);
 *  - updateMode 'single' (unknown whether the two-step update was used); legacyInverseOrder false.
 */
export interface AugkdConfig extends UpcyclingOptions {
  readonly kind: 'augkd';
  readonly recWeight: number;
  readonly kdWeight: number;
  readonly augkdWeight: number;
  readonly zoomOutRecWeight: number;
  /**
   * null (default): AugKD alone. Set: FAKD's affinity term on the original stream (fakd.ts, trained, not
   * detached), as AugKD's "FAKD + AugKD" row; the 'fakd-augkd' preset uses DUKD code's FAKD feature weight 10 and
   * its four taps (AugKD gives neither).
   */
  readonly fakd: null | { readonly affinityWeight: number; readonly taps: FakdTaps };
}

const formula = (cfg: AugkdConfig): Formula =>
  upcyclingFormula(cfg, {
    rec: cfg.recWeight, kd: cfg.kdWeight, zi: cfg.augkdWeight, zoRec: cfg.zoomOutRecWeight, zoKd: cfg.augkdWeight,
    ...(cfg.fakd ? { aff: cfg.fakd.affinityWeight } : {}),
  });

export function augKd(cfg: AugkdConfig): DistillMethod<UpcyclingPrep> {
  return upcyclingMethod('augkd', cfg, cfg, formula(cfg), cfg.fakd?.taps ?? null);
}

const fakdPart: Check = (k, v) => {
  if (v === null) return;
  if (!isPlainObject(v)) fail(k, 'null or { affinityWeight, taps }', v);
  checkRecord(v, { affinityWeight: weight, taps: fakdTaps }, k, 'an AugKD fakd part');
};

function defaults(arch: ArchName, scale: Scale): AugkdConfig {
  const spec = archSpec(arch);
  const s = spec.dukdDefaults(scale);
  return {
    kind: 'augkd',
    recWeight: s.recWeight,
    kdWeight: s.kdWeight,
    augkdWeight: s.kdWeight,
    zoomOutRecWeight: s.recWeight,
    zoomIn: true,
    zoomOut: spec.augkdZoomOut,
    invAug: true,
    tiles: s.tiles,
    ...UPCYCLING_COMMON,
    fakd: null,
  };
}

export const AUGKD: MethodSpec<AugkdConfig> = {
  kind: 'augkd',
  title: 'AugKD',
  source: 'AugKD (DUKD authors\' follow-up); open values default to DUKD code\'s settings',
  needsTeacher: true,
  batchCoupled: false,
  featureNets: [],
  schema: { recWeight: weight, kdWeight: weight, augkdWeight: weight, zoomOutRecWeight: weight, ...UPCYCLING_SCHEMA, fakd: fakdPart },
  checkTrain: checkUpcyclingTrain,
  defaults,
  smokeConfigs: () => [
    { name: 'augkd', config: defaults('edsr', 2) },
    { name: 'fakd-augkd', config: { ...defaults('edsr', 2), fakd: { affinityWeight: 10, taps: 'dukd4' } } },
  ],
  formula,
  create: (cfg) => augKd(cfg) as DistillMethod,
};
