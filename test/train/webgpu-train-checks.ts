/**
 * Training on the webgpu backend with the in-process engine: a 3-step run matches the same run on the cpu
 * backend to float tolerance, and a run stopped after 2 steps and resumed equals the uninterrupted one bit for
 * bit; tensor counts stay flat. Each backend runs webgpu-train-child.ts in its own process. Run by
 * webgpu-train.test.ts (vitest) and scripts/gpu-verdicts.ts (GPU hosts without vitest).
 */
import assert from 'node:assert/strict';
import { maxRelDiff } from '../rel-diff';
import { runJsonChild, type Check, type WebgpuSuite } from '../webgpu-suite';

type Trace = { terms: Record<string, number>[]; numTensors: number[]; weights: number[][] };
type ChildResult = { backend: string; straight: Trace; resumed: Trace };
export type TrainResult = { gpu: ChildResult; cpu: ChildResult };

const checks: Check<TrainResult>[] = [
  {
    name: '3 steps match the cpu backend to float tolerance',
    check: ({ gpu: g, cpu }) => {
      assert.equal(g.backend, 'webgpu');
      assert.equal(cpu.backend, 'cpu');
      assert.equal(g.straight.terms.length, 3);
      g.straight.terms.forEach((t, s) => Object.entries(t).forEach(([k, v]) => {
        const ref = cpu.straight.terms[s][k];
        assert.ok(Math.abs(v - ref) <= 1e-4 * Math.max(1, Math.abs(ref)), `${k} at step ${s + 1}: ${v} vs cpu ${ref}`);
      }));
      const rel = maxRelDiff(g.straight.weights, cpu.straight.weights);
      assert.ok(rel < 1e-4, `final weights: max rel diff ${rel}`);
    },
  },
  {
    name: 'a resumed run equals the uninterrupted one bit for bit, and the tensor count stays flat',
    check: ({ gpu: g }) => {
      assert.deepEqual(g.resumed.terms, g.straight.terms);
      assert.deepEqual(g.resumed.weights, g.straight.weights);
      assert.equal(new Set(g.straight.numTensors.slice(1)).size, 1, `tensor counts ${g.straight.numTensors}`);
    },
  },
];

export const TRAIN_SUITE: WebgpuSuite<TrainResult> = {
  title: 'training on webgpu (in-process engine)',
  file: 'test/train/webgpu-train.test.ts',
  run: async () => {
    const env = { SRKD_ENGINE: 'in-process' };
    const cpu = await runJsonChild<ChildResult>('test/train/webgpu-train-child.ts', 'cpu', env);
    if (!cpu.result) throw new Error(`cpu child failed: ${cpu.error}`);
    const gpu = await runJsonChild<ChildResult>('test/train/webgpu-train-child.ts', 'webgpu', env);
    if (!gpu.result) return { unavailable: gpu.error };
    return { result: { gpu: gpu.result, cpu: cpu.result } };
  },
  checks,
};
