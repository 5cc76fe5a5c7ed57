/**
 * The tiny real nets and batch the method tests share: an EDSR student (4 features, 1 block) and teacher
 * (6 features, `teacherBlocks` blocks) at x2, a batch of four 8-px LR / 16-px HR patches, on the cpu backend.
 * Call at the top level of a test file: it registers beforeAll/afterAll and fills the returned object there.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll } from 'vitest';
import type { MethodNets } from '../../lib/distill/method';
import { buildModel } from '../../lib/models/build';
import type { SRNet } from '../../lib/models/types';

export type TinyNets = { student: SRNet; teacher: SRNet; nets: MethodNets; lr: tf.Tensor4D; hr: tf.Tensor4D };

export function useTinyNets(opts: { readonly teacherBlocks?: number } = {}): TinyNets {
  const fx = {} as TinyNets;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    fx.student = buildModel({ arch: 'edsr', feats: 4, blocks: 1, resScale: 1 }, 2, { seed: 1 });
    fx.teacher = buildModel({ arch: 'edsr', feats: 6, blocks: opts.teacherBlocks ?? 2, resScale: 1 }, 2, { seed: 2 });
    fx.nets = { student: fx.student, teacher: fx.teacher, aux: {} };
    fx.lr = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    fx.hr = tf.randomUniform([4, 16, 16, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  });
  afterAll(() => {
    tf.dispose([fx.lr, fx.hr]);
    fx.student.dispose();
    fx.teacher.dispose();
  });
  return fx;
}
