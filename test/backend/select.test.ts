import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

// Backend selection is per process, so each case runs in a fresh Node process.
function selectIn(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const script =
    "require('ts-node').register({transpileOnly:true});" +
    "require('./lib/backend/index').initBackend().then(i=>{console.log(JSON.stringify(i));}," +
    'e=>{console.error(e.message);process.exit(3);})';
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('initBackend', () => {
  it('picks wasm with the kit training kernels when tfjs-node is absent, and says so once', () => {
    const r = selectIn({ SRKD_BACKEND: '' });
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(info.name).toBe('wasm');
    expect(info.kitKernels).toContain('Conv2DBackpropFilter');
    expect(info.versions['tfjs-backend-wasm']).toBe('4.22.0');
    expect(r.stderr.match(/srkd: backend wasm/g)).toHaveLength(1);
  });

  it('honours SRKD_BACKEND=cpu', () => {
    const r = selectIn({ SRKD_BACKEND: 'cpu' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).name).toBe('cpu');
  });

  it('fails clearly when the forced tensorflow backend is missing', () => {
    const r = selectIn({ SRKD_BACKEND: 'tensorflow' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/SRKD_BACKEND=tensorflow but neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node loads/);
  });

  it('rejects an unknown backend name, naming the value', () => {
    const r = selectIn({ SRKD_BACKEND: 'webgl2' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/SRKD_BACKEND must be one of tensorflow, wasm, cpu \(got 'webgl2'\)/);
  });
});
