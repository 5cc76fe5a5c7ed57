/**
 * CSD and DCKD train on the webgpu backend with the in-process engine: 3-step runs (the smoke EDSR pair; DCKD
 * with the seeded random fixture-sized VQGAN) give the same per-step terms and final weights as the same runs
 * on the cpu backend to float tolerance, tensor and GPU buffer counts stay flat, and the start-up kernel check
 * (method-kernels.ts) finds every kernel registered. Each backend runs webgpu-methods-child.ts in its own
 * process, the two at once. Run by webgpu-methods.test.ts (vitest) and scripts/gpu-verdicts.ts (GPU hosts
 * without vitest).
 *
 * Tolerance: float32 sums of up to ~10^4 products differ between kernels by about sqrt(n)·6e-8 ≈ 6e-6 of their
 * magnitude (lib/backend/gradient-check.ts), and 3 Adam steps (whose update divides by sqrt(v), so relative
 * gradient noise passes straight into the step) keep that order: 1e-4 relative is a 15x margin. A wrong kernel,
 * layout or gradient gives differences of order 1e-2 to 1 (DCKD's L_dcl gradient before the equal-shape
 * feature passes of dckd-contrastive.ts: a 7 % different term at step 2).
 */
import assert from 'node:assert/strict';
import { maxRelDiff } from '../rel-diff';
import { runJsonChild, type Check, type WebgpuSuite } from '../webgpu-suite';

type MethodTrace = {
  terms: Record<string, number>[]; numTensors: number[]; gpuBuffersUsed: number[]; weights: number[][];
  notes: string[]; kernels: string[]; missing: string[]; seconds: { kernels: number; train: number };
};
type ChildResult = { backend: string; backendAfter: string; methods: Record<string, MethodTrace> };
export type MethodsResult = { gpu: ChildResult; cpu: ChildResult };

const METHODS = ['csd', 'dckd'] as const;
const TERMS = { csd: ['rec', 'cl', 't_rec'], dckd: ['rec', 'kd', 'dcl', 'ce'] };
/** Kernels of the feature network: VGG-19's max pooling (CSD); the VQGAN's swish, attention softmax, GroupNorm (DCKD). */
const FEATURE_KERNELS = { csd: ['MaxPool', 'MaxPoolGrad'], dckd: ['Sigmoid', 'Softmax', 'Rsqrt'] };
const REL_TOL = 1e-4;

const checks: Check<MethodsResult>[] = METHODS.flatMap((name): Check<MethodsResult>[] => [
  {
    name: `${name}: 3 steps match the cpu backend to float tolerance (terms per step, final weights)`,
    check: ({ gpu, cpu }) => {
      assert.equal(gpu.backend, 'webgpu');
      assert.equal(cpu.backend, 'cpu');
      const [g, c] = [gpu.methods[name], cpu.methods[name]];
      assert.equal(g.terms.length, 3);
      assert.deepEqual(c.terms.map((t) => Object.keys(t)), [TERMS[name], TERMS[name], TERMS[name]]);
      // the seeded random feature network, as in smoke runs
      assert.ok(g.notes.join().includes('untrained feature network'), `notes: ${g.notes.join(' | ')}`);
      g.terms.forEach((t, s) => {
        assert.deepEqual(Object.keys(t), TERMS[name]);
        for (const [k, v] of Object.entries(t)) {
          assert.ok(Math.abs(v - c.terms[s][k]) <= REL_TOL * Math.abs(c.terms[s][k]), `${k} at step ${s + 1}: ${v} vs cpu ${c.terms[s][k]}`);
        }
      });
      const rel = maxRelDiff(g.weights, c.weights);
      assert.ok(rel < REL_TOL, `final weights: max rel diff ${rel}`);
    },
  },
  {
    name: `${name}: tensor and GPU buffer counts stay flat over the steps; every kernel an iteration needs is registered`,
    check: ({ gpu }) => {
      const g = gpu.methods[name];
      assert.equal(g.numTensors.length, 3);
      assert.equal(new Set(g.numTensors).size, 1, `tensor counts ${g.numTensors}`);
      assert.equal(g.gpuBuffersUsed.length, 3);
      assert.ok(g.gpuBuffersUsed[0] > 0, 'GPU buffers in use');
      assert.equal(new Set(g.gpuBuffersUsed).size, 1, `GPU buffers in use ${g.gpuBuffersUsed}`);
      // a whole iteration: forward, both conv backprops, L1, Adam's sqrt, and the frozen feature network
      const needed = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Abs', 'Sqrt', ...FEATURE_KERNELS[name]];
      assert.deepEqual(needed.filter((k) => !g.kernels.includes(k)), [], 'kernels the recording should have seen');
      assert.deepEqual(g.missing, []);
      assert.equal(gpu.backendAfter, 'webgpu'); // the recording on cpu restored the backend
    },
  },
]);

export const METHODS_SUITE: WebgpuSuite<MethodsResult> = {
  title: 'CSD and DCKD on webgpu (in-process engine)',
  file: 'test/train/webgpu-methods.test.ts',
  run: async () => {
    const env = { SRKD_ENGINE: 'in-process' };
    // both children at once: the time is the slower of the two
    const [cpu, gpu] = await Promise.all(['cpu', 'webgpu'].map((b) => runJsonChild<ChildResult>('test/train/webgpu-methods-child.ts', b, env)));
    if (!cpu.result) throw new Error(`cpu child failed: ${cpu.error}`);
    if (!gpu.result) return { unavailable: gpu.error };
    return { result: { gpu: gpu.result, cpu: cpu.result } };
  },
  checks,
};
