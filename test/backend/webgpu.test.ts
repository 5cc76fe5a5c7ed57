import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { KernelCheckRow } from '../../lib/backend/gradient-check';
import type { WebgpuAdapter } from '../../lib/backend/webgpu';

// The webgpu backend (Dawn) on whatever adapter SRKD_BACKEND=webgpu gets: on CPU hosts and CI, Mesa's
// software OpenGL (apt: libegl1 libegl-mesa0 libgl1-mesa-dri, installed by .ci/run). Everything runs in
// one child process (webgpu-child.ts) so that a crash inside Dawn fails these tests and nothing else.
// Without an adapter the tests are skipped with the reason, except in CI (CI=true), where they fail.

type StepTrace = { losses: number[]; numTensors: number[]; gpuBuffersUsed: number[]; gpuBytesAllocated: number[] };
type ChildResult = {
  unavailable?: string;
  backend: string;
  adapter: WebgpuAdapter;
  missing: Record<string, string[]>;
  missingError: string;
  gradRows: KernelCheckRow[];
  featureRows: KernelCheckRow[];
  gpuSteps: StepTrace;
  cpuSteps: StepTrace;
  readSyncError: string;
  eval: { psnrGpu: number[]; psnrCpu: number[]; tiledMaxAbsDiff: number; tensorsBefore: number; tensorsAfter: number; pngDiff: { values: number; differing: number; max: number } };
  seconds: Record<string, number>;
};

let result: ChildResult;

beforeAll(() => {
  const root = path.resolve(__dirname, '../..');
  const r = spawnSync(process.execPath, ['--expose-gc', 'bin/run-ts.js', 'test/backend/webgpu-child.ts'], {
    cwd: root, env: { ...process.env, SRKD_BACKEND: 'webgpu' }, encoding: 'utf8', timeout: 600_000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    throw new Error(`webgpu-child exited with status ${r.status} (signal ${r.signal}):\n${r.stderr.slice(-4000)}`);
  }
  result = JSON.parse(last) as ChildResult;
  if (result.unavailable && process.env.CI === 'true') {
    throw new Error(`CI must be able to create the software WebGPU adapter (.ci/run installs Mesa's EGL/GL drivers): ${result.unavailable}`);
  }
  if (!result.unavailable) process.stderr.write(`webgpu checks: ${JSON.stringify(result.seconds)} s\n`);
}, 600_000);

function needAdapter(ctx: TestContext): void {
  if (result.unavailable) ctx.skip(`no WebGPU adapter on this host: ${result.unavailable}`);
}

describe('webgpu backend', () => {
  it('runs on an adapter the banner names (on this host: the software OpenGL adapter, flagged as software)', (ctx) => {
    needAdapter(ctx);
    expect(result.backend).toBe('webgpu');
    expect(result.adapter.device).not.toBe('');
    expect(result.adapter.limits.maxBufferSize).toBeGreaterThan(0);
    if (result.adapter.api === 'opengl') {
      expect(result.adapter.featureLevel).toBe('compatibility');
      expect(result.adapter.software).toBe(true);
    }
  });

  it('has every kernel a training step of EDSR, RCAN and SwinIR (both upsamplers) needs; a missing one is listed', (ctx) => {
    needAdapter(ctx);
    expect(Object.keys(result.missing)).toEqual(['edsr x4', 'rcan x3', 'swinir x2', 'swinir x4']);
    for (const [arch, missing] of Object.entries(result.missing)) expect(missing, arch).toEqual([]);
    expect(result.missingError).toBe(
      "backend 'webgpu' lacks 2 kernel(s) that the test graph needs: NoSuchKernel, AlsoMissing " +
        '(tfjs has no fallback for a missing kernel; choose another backend with SRKD_BACKEND)',
    );
  });

  it('full EDSR, RCAN and SwinIR training-step gradients agree with the cpu backend', (ctx) => {
    needAdapter(ctx);
    expect(result.gradRows.map((r) => r.kernel)).toEqual(['step:edsr', 'step:edsr', 'step:rcan', 'step:swinir', 'step:swinir']);
    for (const r of result.gradRows) expect(r.ok, `${r.kernel} ${r.shape}: maxRelErr ${r.maxRelErr}`).toBe(true);
  });

  it('VGG-style (conv, ReLU, max pool) and GroupNorm blocks: gradients agree with the cpu backend', (ctx) => {
    needAdapter(ctx);
    expect(result.featureRows.map((r) => r.kernel)).toEqual(['net:vgg-block', 'net:group-norm']);
    for (const r of result.featureRows) expect(r.ok, `${r.kernel} ${r.shape}: maxRelErr ${r.maxRelErr}`).toBe(true);
  });

  it('four Adam steps follow the cpu backend and keep tensors and GPU buffers flat', (ctx) => {
    needAdapter(ctx);
    const { gpuSteps: g, cpuSteps: c } = result;
    g.losses.forEach((l, i) => expect(Math.abs(l - c.losses[i]) / c.losses[i], `step ${i}`).toBeLessThan(1e-5));
    expect(g.losses[3]).toBeLessThan(g.losses[0]); // it does learn
    expect(new Set(g.numTensors).size).toBe(1);
    expect(g.numTensors).toEqual(c.numTensors);
    expect(new Set(g.gpuBuffersUsed).size).toBe(1);
    // Step 1 fills tfjs's buffer pool (Adam slots appear with the first update); later steps only reuse it.
    expect(new Set(g.gpuBytesAllocated.slice(1)).size).toBe(1);
  });

  it('evaluation and tiled upscaling give the cpu backend\'s numbers and leave no tensors behind', (ctx) => {
    needAdapter(ctx);
    const e = result.eval;
    e.psnrGpu.forEach((p, i) => expect(Math.abs(p - e.psnrCpu[i])).toBeLessThan(1e-3));
    expect(e.tiledMaxAbsDiff).toBeLessThan(1e-5);
    expect(e.pngDiff.values).toBe(256 * 256 * 3);
    expect(e.pngDiff.max).toBeLessThanOrEqual(1); // at most a rounding tie flipped
    expect(e.pngDiff.differing).toBeLessThan(e.pngDiff.values * 1e-3);
    expect(e.tensorsAfter).toBe(e.tensorsBefore);
  });

  it('a synchronous read of a GPU tensor fails with an error that says to read asynchronously', (ctx) => {
    needAdapter(ctx);
    expect(result.readSyncError).toMatch(/synchronous read \(dataSync\/arraySync\/bufferSync\) of a GPU tensor is not possible on the webgpu backend in Node; read it with await tensor\.data\(\)/);
  });
});
