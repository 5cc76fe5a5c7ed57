import { beforeAll, describe, expect, it } from 'vitest';
import { checkCases, modelStepCases } from '../../lib/backend/gradient-check';
import { initBackend } from '../../lib/backend/index';
import { Rng } from '../../lib/util/rng';

// A whole EDSR / RCAN / SwinIR training step (forward, L1, every variable's gradient) on the kit's
// wasm kernels must agree with tfjs-backend-cpu, the independent reference.
describe('full training-step gradients: wasm + kit kernels vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', announce: false });
  });

  it('EDSR, RCAN and SwinIR (both upsamplers) agree with the cpu backend', async () => {
    const rows = await checkCases(modelStepCases(new Rng(2026)), 'wasm');
    expect(rows.map((r) => r.kernel)).toEqual(['step:edsr', 'step:edsr', 'step:rcan', 'step:swinir', 'step:swinir']);
    for (const r of rows) {
      expect(r.ok, `${r.kernel} ${r.shape}: maxRelErr ${r.maxRelErr}`).toBe(true);
      expect(r.maxRelErr).toBeLessThan(1e-4);
    }
  });
});
