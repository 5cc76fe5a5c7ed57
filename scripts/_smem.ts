import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend/index';
import { l1 } from '../lib/losses/pixel';
import { buildModel } from '../lib/models/build';
import { ZOO } from '../lib/models/zoo';
(async () => {
  await initBackend({ backend: 'wasm', announce: false, threads: 1 } as any);
  const S = 24;
  console.log(JSON.stringify(ZOO['swinir-student'].arch));
  const student = buildModel(ZOO['swinir-student'].arch, 4, { seed: 0 });
  const vars = [...student.params.values()];
  const lr = tf.randomUniform([1, S, S, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const hr = tf.randomUniform([1, S * 4, S * 4, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const base = tf.memory().numBytes;
  const fwd = await tf.profile(() => { tf.tidy(() => { student.forward(lr).out; }); return []; });
  console.log('forward no tape peak MiB', ((fwd.peakBytes - base) / 2 ** 20).toFixed(0));
  const p = await tf.profile(() => { const { value, grads } = tf.variableGrads(() => l1(student.forward(lr).out, hr) as tf.Scalar, vars); tf.dispose([value, grads]); return []; });
  console.log('grad peak MiB', ((p.peakBytes - base) / 2 ** 20).toFixed(0), 'kernels', p.kernels.length);
  // at the peak: sum of bytesAdded by kernel name up to the peak point
  let peakIdx = 0; p.kernels.forEach((k, i) => { if (k.totalBytesSnapshot > p.kernels[peakIdx].totalBytesSnapshot) peakIdx = i; });
  const byName = new Map<string, number>();
  p.kernels.slice(0, peakIdx + 1).forEach((k) => { const key = `${k.name} ${JSON.stringify(k.outputShapes[0])}`; byName.set(key, (byName.get(key) ?? 0) + k.bytesAdded); });
  console.log('peak at kernel', peakIdx, p.kernels[peakIdx].name);
  console.log([...byName].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${(v / 2 ** 20).toFixed(1)} MiB ${k}`).join('\n'));
})();
