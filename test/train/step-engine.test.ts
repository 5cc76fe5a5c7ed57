/**
 * The two step engines (lib/train/step-engine.ts) run the same task and replica code: for every method variant
 * of the contract suite, a few steps on the worker pool (1 worker) and in-process give the same losses and
 * weights to float tolerance; the in-process engine resumes bit for bit; its tensor count stays flat; and the
 * engine choice follows the backend.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import type { TrainConfig } from '../../lib/config/train';
import { METHOD_SMOKE_CONFIGS } from '../../lib/distill/methods';
import { loadCheckpoint } from '../../lib/train/checkpoint';
import { resolveEngine } from '../../lib/train/step-engine';
import type { Run } from '../../lib/train/run';
import { train } from '../../lib/train/trainer';
import { maxRelDiff } from '../rel-diff';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-engine-test-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function config(method: TrainConfig['method'], steps: number): TrainConfig {
  return resolveTrain({ method, totalSteps: steps, checkpointEverySteps: 2, evalEverySteps: 0, logEverySteps: 1, keepCheckpoints: 3, val: { sets: [] } },
    trainPreset('smoke', { method: method.kind }));
}
const weightsOf = (run: Run): Float32Array[] => Array.from(run.student.params.values()).map((v) => Float32Array.from(v.dataSync() as Float32Array));
const termsLog = (run: Run): Record<string, number>[] =>
  fs.readFileSync(path.join(run.dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.event === 'train').map((e) => e.terms as Record<string, number>);


describe('step engines', () => {
  it('auto picks the worker pool on the CPU backends and the in-process engine on a GPU backend', () => {
    expect(resolveEngine('auto', 'wasm')).toBe('workers');
    expect(resolveEngine('auto', 'cpu')).toBe('workers');
    expect(resolveEngine('auto', 'tensorflow')).toBe('in-process');
    expect(resolveEngine('workers', 'tensorflow')).toBe('workers');
    expect(() => resolveEngine('gpu' as never, 'wasm')).toThrow(/engine must be one of 'auto', 'workers', 'in-process' \(got "gpu"\)/);
  });

  it.each(METHOD_SMOKE_CONFIGS.map((c) => [c.name, c.config] as const))('%s: worker pool and in-process agree to float tolerance', async (name, method) => {
    const cfg = config(method, 3);
    const pool = await train(cfg, { runsDir: path.join(TMP, `pool-${name}`), resume: 'none', quiet: true, workers: 1, engine: 'workers' });
    const inproc = await train(cfg, { runsDir: path.join(TMP, `inproc-${name}`), resume: 'none', quiet: true, engine: 'in-process' });
    try {
      const [tp, ti] = [termsLog(pool), termsLog(inproc)];
      expect(ti.length).toBe(3);
      expect(Object.keys(ti[0])).toEqual(Object.keys(tp[0]));
      tp.forEach((t, s) => Object.entries(t).forEach(([k, v]) => expect(Math.abs(ti[s][k] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)))));
      expect(maxRelDiff(weightsOf(inproc), weightsOf(pool))).toBeLessThan(1e-5);
      expect(JSON.parse(fs.readFileSync(path.join(inproc.dir, 'env.json'), 'utf8')).engine).toBe('in-process');
    } finally {
      pool.dispose();
      inproc.dispose();
    }
  });

  it('fitnet: the regressors train with the student, are checkpointed, and a resumed run equals the straight one', async () => {
    const method = METHOD_SMOKE_CONFIGS.find((c) => c.name === 'fitnet')!.config;
    const cfg = config(method, 4);
    const straight = await train(cfg, { runsDir: path.join(TMP, 'fitnet-straight'), resume: 'none', quiet: true, engine: 'in-process' });
    const part = await train(cfg, { runsDir: path.join(TMP, 'fitnet-resumed'), resume: 'none', quiet: true, engine: 'in-process', totalSteps: 2 });
    part.dispose();
    const resumed = await train(cfg, { runsDir: path.join(TMP, 'fitnet-resumed'), quiet: true, engine: 'in-process' });
    try {
      const c2 = loadCheckpoint(path.join(resumed.dir, 'ckpt', 'step-2'));
      const c4 = loadCheckpoint(path.join(resumed.dir, 'ckpt', 'step-4'));
      const n = resumed.student.params.size;
      expect(c4.weights.length).toBe(n + 2); // the student's parameters, then the regressor's weight and bias
      expect(Array.from(c4.weights[n])).not.toEqual(Array.from(c2.weights[n])); // the regressor is trained
      expect(termsLog(resumed)).toEqual(termsLog(straight));
      const [a, b] = [weightsOf(resumed), weightsOf(straight)];
      a.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(b[i].buffer))).toBe(true));
    } finally {
      straight.dispose();
      resumed.dispose();
    }
  });

  it('in-process: a resumed run equals the uninterrupted one bit for bit, and tensors stay flat', async () => {
    const method = METHOD_SMOKE_CONFIGS.find((c) => c.name === 'dukd-release')!.config; // every random stream + two-step update
    const cfg = config(method, 6);
    const straight = await train(cfg, { runsDir: path.join(TMP, 'straight'), resume: 'none', quiet: true, engine: 'in-process' });
    const part = await train(cfg, { runsDir: path.join(TMP, 'resumed'), resume: 'none', quiet: true, engine: 'in-process', totalSteps: 4 });
    part.dispose();
    const resumed = await train(cfg, { runsDir: path.join(TMP, 'resumed'), quiet: true, engine: 'in-process' });
    try {
      expect(loadCheckpoint(path.join(resumed.dir, 'ckpt', 'step-4')).state.engine).toBe('in-process');
      expect(termsLog(resumed)).toEqual(termsLog(straight));
      const [a, b] = [weightsOf(resumed), weightsOf(straight)];
      a.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(b[i].buffer))).toBe(true));
      const counts = fs.readFileSync(path.join(straight.dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((e) => e.event === 'train').map((e) => e.numTensors.main as number);
      expect(new Set(counts.slice(1)).size).toBe(1); // step 1 creates the optimiser slots
    } finally {
      straight.dispose();
      resumed.dispose();
    }
  });
});
