/** Scratch (spec/methods.md section 3): L = L1(S(x), y). No teacher. */
import * as tf from '@tensorflow/tfjs';
import { l1 } from '../losses/pixel';
import type { MethodOf } from './config';
import type { DistillMethod } from './method';

export function scratch(cfg: MethodOf<'scratch'>): DistillMethod<Record<string, never>> {
  return {
    id: 'scratch',
    config: cfg,
    requiresTeacher: false,
    auxModels: [],
    termNames: ['rec'],
    termGroups: [['rec']],
    prepare: () => ({}),
    terms: (nets, batch) => tf.tidy(() => ({ rec: l1(nets.student.forward(batch.lr).out, batch.hr) })),
  };
}
