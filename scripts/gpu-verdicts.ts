/**
 * The webgpu checks that vitest runs (test/backend/webgpu.test.ts, test/backend/webgpu-kit-conv.test.ts,
 * test/train/webgpu-train.test.ts, test/train/webgpu-methods.test.ts), run without vitest: scripts/gpu-check.sh uses this on GPU hosts that carry
 * only what the checks load (scripts/gpu-pack.sh leaves vitest and its bundler out to fit the device tool's
 * 64 MiB). Same children, same checks, same tolerances.
 *   node bin/run-ts.js scripts/gpu-verdicts.ts [--suites backend,kit-conv,train,methods] > verdicts.json
 * Prints one JSON object (per suite: seconds, per check ok and message) on stdout, a line per check on stderr;
 * exits 1 when a check fails or the webgpu half could not run.
 */
import { BACKEND_SUITE } from '../test/backend/webgpu-checks';
import { KIT_CONV_SUITE } from '../test/backend/webgpu-kit-conv-checks';
import { METHODS_SUITE } from '../test/train/webgpu-methods-checks';
import { TRAIN_SUITE } from '../test/train/webgpu-train-checks';
import type { WebgpuSuite } from '../test/webgpu-suite';

const SUITES: Record<string, () => Promise<SuiteReport>> = {
  backend: () => runSuite(BACKEND_SUITE),
  'kit-conv': () => runSuite(KIT_CONV_SUITE),
  train: () => runSuite(TRAIN_SUITE),
  methods: () => runSuite(METHODS_SUITE),
};

type Verdict = { check: string; ok: boolean; message?: string };
type SuiteReport = { title: string; file: string; seconds: number; unavailable?: string; error?: string; checks: Verdict[] };

async function runSuite<R>(suite: WebgpuSuite<R>): Promise<SuiteReport> {
  const t0 = Date.now();
  const report: SuiteReport = { title: suite.title, file: suite.file, seconds: 0, checks: [] };
  try {
    const outcome = await suite.run();
    if ('unavailable' in outcome) report.unavailable = outcome.unavailable;
    else {
      for (const c of suite.checks) {
        try {
          c.check(outcome.result);
          report.checks.push({ check: c.name, ok: true });
        } catch (e) {
          report.checks.push({ check: c.name, ok: false, message: e instanceof Error ? e.message : String(e) });
        }
      }
    }
  } catch (e) {
    report.error = e instanceof Error ? e.message : String(e);
  }
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}

async function main(): Promise<number> {
  const i = process.argv.indexOf('--suites');
  const names = i >= 0 ? (process.argv[i + 1] ?? '').split(',') : Object.keys(SUITES);
  const unknown = names.filter((n) => !(n in SUITES));
  if (unknown.length) {
    process.stderr.write(`gpu-verdicts: unknown suite(s) ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}\n`);
    return 2;
  }
  const reports: Record<string, SuiteReport> = {};
  let failed = 0;
  for (const name of names) {
    const r = await SUITES[name]();
    reports[name] = r;
    process.stderr.write(`${r.title} (${r.seconds.toFixed(1)} s)\n`);
    if (r.error || r.unavailable) {
      failed++;
      process.stderr.write(`  FAIL ${r.error ? `error: ${r.error}` : `webgpu could not run: ${r.unavailable}`}\n`);
    }
    for (const v of r.checks) {
      if (!v.ok) failed++;
      process.stderr.write(`  ${v.ok ? 'ok  ' : 'FAIL'} ${v.check}${v.ok ? '' : `\n       ${v.message?.split('\n').join('\n       ')}`}\n`);
    }
  }
  process.stdout.write(`${JSON.stringify({ failed, suites: reports }, null, 1)}\n`);
  process.stderr.write(failed ? `gpu-verdicts: ${failed} failed\n` : 'gpu-verdicts: all passed\n');
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
