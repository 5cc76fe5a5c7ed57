/**
 * AugKD (spec/methods.md section 9): the DUKD engine (dukd.ts) with AugKD's weight names,
 *   L = recWeight·L_rec + kdWeight·L_kd + augkdWeight·(L_zi + L_zo_kd) + zoomOutRecWeight·L_zo_rec.
 * Every value the AugKD text leaves open is an option of AugkdConfig; defaults are named there (config.ts).
 */
import type { MethodOf } from './config';
import { type UpcyclingPrep, upcyclingMethod } from './dukd';
import type { DistillMethod } from './method';

export function augKd(cfg: MethodOf<'augkd'>): DistillMethod<UpcyclingPrep> {
  return upcyclingMethod('augkd', cfg, cfg, {
    rec: cfg.recWeight,
    kd: cfg.kdWeight,
    zi: cfg.augkdWeight,
    zoRec: cfg.zoomOutRecWeight,
    zoKd: cfg.augkdWeight,
  });
}
