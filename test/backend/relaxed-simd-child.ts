/**
 * Child process for simd-kernels.test.ts: with SRKD_RELAXED_SIMD=on (set by the parent), the kit's relaxed
 * SIMD build must be the one in use, and its kernels must match the cpu backend on the conv cases and on
 * full EDSR / RCAN / SwinIR training steps. Prints one JSON line: { build, rows, failures }.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/index';
import { checkCases, convCases, forwardConvCases, modelStepCases } from '../../lib/backend/gradient-check';
import { simdBuild } from '../../lib/backend/simd/index';
import { Rng } from '../../lib/util/rng';

(async () => {
  const info = await initBackend({ backend: 'wasm', announce: false });
  const rng = new Rng(41);
  const cases = [...convCases(rng, 12), ...forwardConvCases(rng, 12), ...modelStepCases(rng)];
  const rows = await checkCases(cases, 'wasm');
  const failures = rows.filter((r) => !r.ok).map((r) => `${r.kernel} ${r.shape}: rel ${r.maxRelErr.toExponential(2)}`);
  process.stdout.write(`${JSON.stringify({ build: simdBuild(tf.backend()), infoSimd: info.simd, rows: rows.length, failures })}\n`);
})().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
