import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend/index';
import { dckdDegradedInputs, dckdPreset } from '../lib/distill/dckd';
import { dckdCodeLoss } from '../lib/losses/dckd-code-ce';
import { dckdContrastiveLoss } from '../lib/losses/dckd-contrastive';
import { dckdVqganTerms } from '../lib/losses/dckd-vqgan-terms';
import { contrastiveRatio } from '../lib/losses/contrastive-ratio';
import { DCKD_FEATURE_WEIGHTS } from '../lib/models/features/vqgan-encoder';
import { l1 } from '../lib/losses/pixel';
import { buildModel } from '../lib/models/build';
import { DCKD_VQGAN_CONFIG, randomVqgan } from '../lib/models/features/vqgan-encoder';
import { ZOO } from '../lib/models/zoo';
(async () => {
  await initBackend({ backend: (process.env.B ?? 'wasm') as any, announce: false, threads: 1 } as any);
  const B = Number(process.env.BATCH ?? 1), S = Number(process.env.S ?? 24);
  const cfg = dckdPreset('dckd');
  const vq = randomVqgan(DCKD_VQGAN_CONFIG, 0);
  const student = buildModel(ZOO['swinir-student'].arch, 4, { seed: 0 });
  const teacher = buildModel(ZOO['swinir-teacher'].arch, 4, { seed: 1 });
  const history = buildModel(ZOO['swinir-student'].arch, 4, { seed: 2 });
  const vars = [...student.params.values()];
  const lr = tf.randomUniform([B, S, S, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const hr = tf.randomUniform([B, S * 4, S * 4, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const base = tf.memory().numBytes;
  const mib = (x: number) => (x / 2 ** 20).toFixed(0);
  const ctx = { step: 0, seed: 0, sampleOffset: 0, batchSizeTotal: B };
  let prep: any;
  const p1 = await tf.profile(() => { prep = tf.tidy(() => { const out = history.forward(tf.concat([lr, ...dckdDegradedInputs(cfg, lr, ctx)], 0)).out; return { t: teacher.forward(lr).out, negatives: Array.from({ length: cfg.negatives }, (_, j) => tf.slice(out, [j * B, 0, 0, 0], [B, -1, -1, -1]) as tf.Tensor4D) }; }); return []; });
  console.log(`B${B} S${S} prep peak ${mib(p1.peakBytes - base)} MiB`);
  const base2 = tf.memory().numBytes;
  for (const part of (process.env.PARTS ?? 'l1,all,shared').split(',')) {
    const p = await tf.profile(async () => { const { value, grads } = tf.variableGrads(() => { const sr = student.forward(lr).out;
      const terms: tf.Scalar[] = [tf.mul(cfg.recWeight, l1(sr, hr)) as tf.Scalar];
      if (part === 'dcl' || part === 'all') terms.push(tf.mul(cfg.dclWeight, dckdContrastiveLoss(vq, { anchor: sr, positive: prep.t, negatives: prep.negatives })) as tf.Scalar);
      if (part === 'ce' || part === 'all') terms.push(tf.mul(cfg.ceWeight, dckdCodeLoss(vq, sr, prep.t)) as tf.Scalar);
      if (part === 'shared') { const both = dckdVqganTerms(vq, { anchor: sr, positive: prep.t, negatives: prep.negatives }); terms.push(tf.mul(cfg.dclWeight, contrastiveRatio(both.sums, DCKD_FEATURE_WEIGHTS)) as tf.Scalar, tf.mul(cfg.ceWeight, both.ce) as tf.Scalar); }
      return tf.addN(terms) as tf.Scalar; }, vars); tf.dispose([value, grads]); return []; });
    const bc = (tf.backend() as any).bufferManager; if (bc) console.log(`pool ${part} ${mib(bc.numBytesAllocated)} MiB`);
    console.log(`B${B} S${S} grad(${part}) peak ${mib(p.peakBytes - base2)} MiB, ${p.kernels.length} kernels`);
  }
})();
