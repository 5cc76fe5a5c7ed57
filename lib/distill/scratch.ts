/** Scratch (no distillation; the DUKD paper's baseline row): L = L1(S(x), y). No teacher. */
import * as tf from '@tensorflow/tfjs';
import { l1 } from '../losses/pixel';
import type { DistillMethod } from './method';
import type { MethodSpec } from './method-spec';

/** No knobs. */
export interface ScratchConfig {
  readonly kind: 'scratch';
}

export function scratch(cfg: ScratchConfig): DistillMethod<Record<string, never>> {
  return {
    id: 'scratch',
    config: cfg,
    requiresTeacher: false,
    termNames: ['rec'],
    termGroups: [['rec']],
    prepare: () => ({}),
    terms: (nets, batch) => tf.tidy(() => ({ rec: l1(nets.student.forward(batch.lr).out, batch.hr) })),
  };
}

export const SCRATCH: MethodSpec<ScratchConfig> = {
  kind: 'scratch',
  title: 'Scratch',
  source: 'the student trained on (LR, HR) pairs alone (DUKD Table 2 baseline)',
  needsTeacher: false,
  batchCoupled: false,
  featureNets: [],
  schema: {},
  defaults: () => ({ kind: 'scratch' }),
  smokeConfigs: () => [{ name: 'scratch', config: { kind: 'scratch' } }],
  // The weight is 1 by definition; terms() returns the plain L1 (multiplying by 1 would change nothing).
  formula: () => [[[1, 'rec']]],
  create: (cfg) => scratch(cfg) as DistillMethod,
};
