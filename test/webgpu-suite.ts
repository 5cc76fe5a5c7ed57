/**
 * The shape shared by the webgpu checks: a suite runs its child processes (each backend in its own process, so
 * a crash inside Dawn fails that suite only) and then named checks on their JSON. vitest runs each check as a
 * test (test/backend/webgpu.test.ts, test/train/webgpu-*.test.ts); scripts/gpu-verdicts.ts runs the same checks
 * without vitest on GPU hosts that carry only what the checks load (scripts/gpu-pack.sh leaves vitest out).
 * Checks throw node:assert errors, which both report with their message.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

export type Check<R> = { name: string; check: (result: R) => void };
/** A suite's result, or why the webgpu half could not run (no adapter on this host). */
export type SuiteOutcome<R> = { result: R } | { unavailable: string };
export type WebgpuSuite<R> = { title: string; file: string; run: () => Promise<SuiteOutcome<R>>; checks: Check<R>[] };

const ROOT = path.resolve(__dirname, '..');

/** Runs `bin/run-ts.js <script>` with SRKD_BACKEND=backend; the last stdout line is the child's JSON. */
export async function runJsonChild<T>(script: string, backend: string, env: Record<string, string> = {}): Promise<{ result: T | null; error: string }> {
  const child = spawn(process.execPath, ['--expose-gc', 'bin/run-ts.js', script], {
    cwd: ROOT, env: { ...process.env, ...env, SRKD_BACKEND: backend }, timeout: 600_000,
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const [status, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  const last = stdout.trim().split('\n').pop() ?? '';
  if (status !== 0 || !last.startsWith('{')) return { result: null, error: `${script} on ${backend}: status ${status} (signal ${signal}):\n${stderr.slice(-3000)}` };
  return { result: JSON.parse(last) as T, error: '' };
}
