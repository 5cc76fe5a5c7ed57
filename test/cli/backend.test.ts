/**
 * `srkd backend`: what auto-selection picks on this host and why it passed over webgpu (a CPU host: no GPU),
 * and `--check` on webgpu (Mesa's software adapter here; CI installs it): every method trains on each
 * backbone's Table 1 pair except CSD on RCAN/SwinIR, which is named as not applicable. kernelCoverage itself
 * reports every kernel as missing on a backend that has none registered, so the check can fail.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { kernelCoverage } from '../../lib/train/method-kernels';

const ROOT = path.resolve(__dirname, '../..');

function srkd(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/srkd.js', ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('srkd backend', () => {
  it('names the backend auto-selection picks, its engine, and why webgpu was passed over on a host without a GPU', () => {
    const env = { SRKD_BACKEND: '' };
    const j = srkd(['backend', '--json'], env);
    expect(j.code, j.err).toBe(0);
    const info = JSON.parse(j.out);
    expect(['wasm', 'tensorflow']).toContain(info.name); // never the software webgpu adapter
    expect(info.engine).toBe(info.name === 'wasm' ? 'workers' : 'in-process');
    if (info.name === 'wasm') expect(info.passedOver.join('\n')).toMatch(/^webgpu: /m);
    expect(info.coverage).toBeNull();
    const t = srkd(['backend'], env);
    expect(t.out).toMatch(/^backend +wasm \(@tensorflow\/tfjs-backend-wasm\)$/m);
    expect(t.out).toMatch(/^training engine +workers/m);
    expect(srkd(['backend', '--backend', 'gpu']).err).toContain("--backend must be one of tensorflow, webgpu, wasm, cpu (got 'gpu')");
  });

  it('--check on webgpu: every method has its kernels on every backbone; CSD is not applicable to RCAN and SwinIR', (ctx) => {
    const r = srkd(['backend', '--backend', 'webgpu', '--check', '--json']);
    if (r.code !== 0 && !r.out.startsWith('{')) {
      if (process.env.CI === 'true') throw new Error(`CI must run webgpu on Mesa's software adapter: ${r.err.slice(-2000)}`);
      return ctx.skip(`no WebGPU adapter on this host: ${r.err.slice(-300)}`);
    }
    expect(r.code, r.err).toBe(0);
    const info = JSON.parse(r.out);
    expect(info.name).toBe('webgpu');
    expect(info.engine).toBe('in-process');
    const rows = info.coverage.rows as { method: string; backbone: string; kernels: number; missing: string[]; notApplicable: string | null }[];
    expect(rows).toHaveLength(9 * 3);
    for (const row of rows) {
      if (row.method === 'csd' && row.backbone !== 'edsr') {
        expect(row.notApplicable).toMatch(/student\.arch must be 'edsr' for method 'csd'/);
        continue;
      }
      expect(row.notApplicable, `${row.method} ${row.backbone}`).toBeNull();
      expect(row.kernels, `${row.method} ${row.backbone}`).toBeGreaterThan(15);
      expect(row.missing, `${row.method} ${row.backbone}`).toEqual([]);
    }
  }, 300_000);

  it('kernelCoverage lists every kernel as missing on a backend with none registered', async () => {
    await initBackend({ announce: false });
    const rows = (await kernelCoverage(4, 'no-such-backend')).filter((r) => r.backbone === 'edsr' && r.notApplicable === null);
    expect(rows.map((r) => r.method)).toEqual(['scratch', 'kd', 'fakd', 'fitnet', 'at', 'csd', 'dukd', 'augkd', 'dckd']);
    for (const r of rows) expect(r.missing).toHaveLength(r.kernels);
    expect(rows.find((r) => r.method === 'dckd')?.missing).toEqual(expect.arrayContaining(['Conv2D', 'Softmax', 'Sigmoid']));
  }, 300_000);
});
