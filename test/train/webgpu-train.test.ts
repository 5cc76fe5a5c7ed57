/**
 * Training on the webgpu backend with the in-process engine (on this host: Mesa's software OpenGL adapter):
 * a 3-step run matches the same run on the cpu backend to float tolerance, and a run stopped after 2 steps
 * and resumed equals the uninterrupted one bit for bit; tensor counts stay flat. Each backend runs in its own
 * child process (a Dawn crash fails this file only). Without an adapter the webgpu half is skipped with the
 * reason, except in CI (CI=true), where it fails.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

type Trace = { terms: Record<string, number>[]; numTensors: number[]; weights: number[][] };
type ChildResult = { backend: string; straight: Trace; resumed: Trace };

function runChild(backend: string): { result: ChildResult | null; error: string } {
  const root = path.resolve(__dirname, '../..');
  const r = spawnSync(process.execPath, ['--expose-gc', 'bin/run-ts.js', 'test/train/webgpu-train-child.ts'], {
    cwd: root, env: { ...process.env, SRKD_BACKEND: backend, SRKD_ENGINE: 'in-process' }, encoding: 'utf8', timeout: 600_000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) return { result: null, error: `status ${r.status}: ${r.stderr.slice(-3000)}` };
  return { result: JSON.parse(last) as ChildResult, error: '' };
}

let gpu: { result: ChildResult | null; error: string };
let cpu: ChildResult;

beforeAll(() => {
  const c = runChild('cpu');
  if (!c.result) throw new Error(`cpu child failed: ${c.error}`);
  cpu = c.result;
  gpu = runChild('webgpu');
  if (!gpu.result && process.env.CI === 'true') throw new Error(`CI must train on the software WebGPU adapter: ${gpu.error}`);
}, 900_000);

describe('training on webgpu (in-process engine)', () => {
  it('3 steps match the cpu backend to float tolerance', (ctx) => {
    if (!gpu.result) return ctx.skip(`no WebGPU adapter: ${gpu.error.slice(0, 300)}`);
    const g = gpu.result;
    expect(g.backend).toBe('webgpu');
    expect(cpu.backend).toBe('cpu');
    expect(g.straight.terms.length).toBe(3);
    g.straight.terms.forEach((t, s) => Object.entries(t).forEach(([k, v]) => {
      expect(Math.abs(v - cpu.straight.terms[s][k])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(cpu.straight.terms[s][k])));
    }));
    let num = 0;
    let den = 1e-12;
    g.straight.weights.forEach((w, i) => w.forEach((x, j) => {
      num = Math.max(num, Math.abs(x - cpu.straight.weights[i][j]));
      den = Math.max(den, Math.abs(cpu.straight.weights[i][j]));
    }));
    expect(num / den).toBeLessThan(1e-4);
  });

  it('a resumed run equals the uninterrupted one bit for bit, and the tensor count stays flat', (ctx) => {
    if (!gpu.result) return ctx.skip(`no WebGPU adapter: ${gpu.error.slice(0, 300)}`);
    const g = gpu.result;
    expect(g.resumed.terms).toEqual(g.straight.terms);
    expect(g.resumed.weights).toEqual(g.straight.weights);
    expect(new Set(g.straight.numTensors.slice(1)).size).toBe(1);
  });
});
