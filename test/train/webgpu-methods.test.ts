/**
 * CSD and DCKD train on the webgpu backend (on this host: Mesa's software OpenGL adapter) with the in-process
 * engine: 3-step runs (the smoke EDSR pair; DCKD with the seeded random fixture-sized VQGAN) give the same
 * per-step terms and final weights as the same runs on the cpu backend to float tolerance, tensor and GPU
 * buffer counts stay flat, and the start-up kernel check (method-kernels.ts) finds every kernel registered.
 * Each backend runs in its own child process, the two at once (a Dawn crash fails this file only). Without an
 * adapter the webgpu half is skipped with the reason, except in CI (CI=true), where it fails.
 *
 * Tolerance: float32 sums of up to ~10^4 products differ between kernels by about sqrt(n)·6e-8 ≈ 6e-6 of their
 * magnitude (lib/backend/gradient-check.ts), and 3 Adam steps (whose update divides by sqrt(v), so relative
 * gradient noise passes straight into the step) keep that order: 1e-4 relative is a 15x margin. A wrong kernel,
 * layout or gradient gives differences of order 1e-2 to 1 (DCKD's L_dcl gradient before the equal-shape
 * feature passes of dckd-contrastive.ts: a 7 % different term at step 2).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

type MethodTrace = {
  terms: Record<string, number>[]; numTensors: number[]; gpuBuffersUsed: number[]; weights: number[][];
  notes: string[]; kernels: string[]; missing: string[]; seconds: { kernels: number; train: number };
};
type ChildResult = { backend: string; backendAfter: string; methods: Record<string, MethodTrace> };

async function runChild(backend: string): Promise<{ result: ChildResult | null; error: string }> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, ['--expose-gc', 'bin/run-ts.js', 'test/train/webgpu-methods-child.ts'], {
    cwd: root, env: { ...process.env, SRKD_BACKEND: backend, SRKD_ENGINE: 'in-process' }, timeout: 600_000,
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const last = stdout.trim().split('\n').pop() ?? '';
  if (status !== 0 || !last.startsWith('{')) return { result: null, error: `status ${status}: ${stderr.slice(-3000)}` };
  return { result: JSON.parse(last) as ChildResult, error: '' };
}

const METHODS = ['csd', 'dckd'] as const;
const TERMS = { csd: ['rec', 'cl', 't_rec'], dckd: ['rec', 'kd', 'dcl', 'ce'] };
/** Kernels of the feature network: VGG-19's max pooling (CSD); the VQGAN's swish, attention softmax, GroupNorm (DCKD). */
const FEATURE_KERNELS = { csd: ['MaxPool', 'MaxPoolGrad'], dckd: ['Sigmoid', 'Softmax', 'Rsqrt'] };
const REL_TOL = 1e-4;

let gpu: { result: ChildResult | null; error: string };
let cpu: ChildResult;

beforeAll(async () => {
  // both children at once: CI time is the slower of the two
  const [c, g] = await Promise.all([runChild('cpu'), runChild('webgpu')]);
  if (!c.result) throw new Error(`cpu child failed: ${c.error}`);
  cpu = c.result;
  gpu = g;
  if (!gpu.result && process.env.CI === 'true') throw new Error(`CI must train on the software WebGPU adapter: ${gpu.error}`);
}, 900_000);

describe.each(METHODS)('%s on webgpu (in-process engine)', (name) => {
  it('3 steps match the cpu backend to float tolerance (terms per step, final weights)', (ctx) => {
    if (!gpu.result) return ctx.skip(`no WebGPU adapter: ${gpu.error.slice(0, 300)}`);
    expect(gpu.result.backend).toBe('webgpu');
    expect(cpu.backend).toBe('cpu');
    const [g, c] = [gpu.result.methods[name], cpu.methods[name]];
    expect(g.terms.length).toBe(3);
    expect(c.terms.map((t) => Object.keys(t))).toEqual([TERMS[name], TERMS[name], TERMS[name]]);
    expect(g.notes.join()).toContain('untrained feature network'); // the seeded random feature network, as in smoke runs
    g.terms.forEach((t, s) => {
      expect(Object.keys(t)).toEqual(TERMS[name]);
      for (const [k, v] of Object.entries(t)) expect(Math.abs(v - c.terms[s][k]), `${k} at step ${s + 1}`).toBeLessThanOrEqual(REL_TOL * Math.abs(c.terms[s][k]));
    });
    let num = 0;
    let den = 1e-12;
    g.weights.forEach((w, i) => w.forEach((x, j) => {
      num = Math.max(num, Math.abs(x - c.weights[i][j]));
      den = Math.max(den, Math.abs(c.weights[i][j]));
    }));
    expect(num / den).toBeLessThan(REL_TOL);
  });

  it('tensor and GPU buffer counts stay flat over the steps; every kernel an iteration needs is registered', (ctx) => {
    if (!gpu.result) return ctx.skip(`no WebGPU adapter: ${gpu.error.slice(0, 300)}`);
    const g = gpu.result.methods[name];
    expect(g.numTensors.length).toBe(3);
    expect(new Set(g.numTensors).size).toBe(1);
    expect(g.gpuBuffersUsed.length).toBe(3);
    expect(g.gpuBuffersUsed[0]).toBeGreaterThan(0);
    expect(new Set(g.gpuBuffersUsed).size).toBe(1);
    // a whole iteration: forward, both conv backprops, L1, Adam's sqrt, and the frozen feature network
    expect(g.kernels).toEqual(expect.arrayContaining(['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Abs', 'Sqrt', ...FEATURE_KERNELS[name]]));
    expect(g.missing).toEqual([]);
    expect(gpu.result.backendAfter).toBe('webgpu'); // the recording on cpu restored the backend
  });
});
