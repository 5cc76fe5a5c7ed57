/**
 * Two `srkd reproduce` processes side by side (as a job scheduler would start them, one row each) on one runs
 * directory: the teacher both rows need is trained once (the second process waits for the first's run lock
 * or finds the run finished), both rows finish, and a last run without --rows only reads the cached runs.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-side-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function srkd(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'srkd.js'), ...args], { cwd: ROOT, env: { ...process.env, SRKD_BACKEND: 'wasm' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('srkd reproduce --rows, side by side', () => {
  it('shares one teacher run between two processes and reuses everything in a final report run', async () => {
    const runs = path.join(TMP, 'runs');
    const common = ['reproduce', 'ablation', '--preset', 'smoke', '--runs-dir', runs, '--workers', '1', '--no-agreement', '--json'];
    const [a, b] = await Promise.all([srkd([...common, '--rows', 'kd']), srkd([...common, '--rows', 'fakd'])]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const ra = JSON.parse(a.out.trim().split('\n').pop() as string) as { runs: { row: string; teacherRunId: string }[] };
    const rb = JSON.parse(b.out.trim().split('\n').pop() as string) as { runs: { row: string; teacherRunId: string }[] };
    expect(ra.runs.map((r) => r.row)).toEqual(['kd']);
    expect(rb.runs.map((r) => r.row)).toEqual(['fakd']);
    expect(ra.runs[0].teacherRunId).toBe(rb.runs[0].teacherRunId);
    const teacherDirs = fs.readdirSync(runs).filter((d) => d === ra.runs[0].teacherRunId);
    expect(teacherDirs).toHaveLength(1);
    expect(fs.readdirSync(runs).some((d) => fs.existsSync(path.join(runs, d, '.lock')))).toBe(false);

    const all = await srkd([...common, '--rows', 'kd,fakd']);
    expect(all.code, all.err).toBe(0);
    const rall = JSON.parse(all.out.trim().split('\n').pop() as string) as { runs: { row: string; cached: boolean }[] };
    expect(rall.runs.map((r) => [r.row, r.cached])).toEqual([['kd', true], ['fakd', true]]);
  }, 300_000);
});
