/**
 * Training with SwinIR stochastic depth (dropPath): reproducible, and abort + resume equals a straight run bit for
 * bit (the draws derive from seed + step, nothing random lives outside the checkpoint). Also: the student's and the
 * teacher's (released code's training-mode teacher) rates both change the trajectory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import type { TrainConfig } from '../../lib/config/train';
import type { ArchConfig } from '../../lib/models/types';
import type { Run } from '../../lib/train/run';
import { train } from '../../lib/train/trainer';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-droppath-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
const SWIN: ArchConfig = { arch: 'swinir', embedDim: 8, depths: [2, 2], heads: [2, 2], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffledirect', upsampleFeats: 64 };
const cfg = (dropPath: TrainConfig['dropPath']): TrainConfig => resolveTrain({
  totalSteps: 4, checkpointEverySteps: 1, logEverySteps: 1, workers: 1, val: { sets: [] }, dropPath,
}, trainPreset('smoke', { method: 'kd', student: SWIN, teacher: SWIN }));

type Line = { event: string; step: number; terms: Record<string, number> };
const trajectory = (dir: string) => fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean)
  .map((l) => JSON.parse(l) as Line).filter((e) => e.event === 'train').map((e) => ({ step: e.step, terms: e.terms }));
const weights = (run: Run) => Array.from(run.student.params.values(), (v) => Array.from(v.dataSync()));

describe('train with drop path', () => {
  it('abort after 2 steps + resume equals 4 straight steps, bit for bit; the rates change the trajectory', async () => {
    const on = cfg({ student: 0.5, teacher: 0.5 });
    const straight = await train(on, { runsDir: path.join(TMP, 'straight'), resume: 'none', quiet: true });
    const controller = new AbortController();
    const first = await train(on, {
      runsDir: path.join(TMP, 'resumed'), resume: 'none', quiet: true, signal: controller.signal,
      onProgress: (e) => { if (e.step === 2) controller.abort(); },
    });
    expect(first.results.status).toBe('stopped');
    expect(first.results.step).toBe(2);
    first.dispose();
    const second = await train(on, { runsDir: path.join(TMP, 'resumed'), resume: 'latest', quiet: true });
    const off = await train(cfg(null), { runsDir: path.join(TMP, 'off'), resume: 'none', quiet: true });
    const studentOnly = await train(cfg({ student: 0.5, teacher: 0 }), { runsDir: path.join(TMP, 'student-only'), resume: 'none', quiet: true });
    try {
      expect(second.results.step).toBe(4);
      expect(trajectory(second.dir)).toEqual(trajectory(straight.dir));
      expect(weights(second)).toEqual(weights(straight));
      // the same steps without drop path, or with a deterministic teacher, go elsewhere from step 1
      expect(trajectory(off.dir)[0].terms).not.toEqual(trajectory(straight.dir)[0].terms);
      expect(trajectory(studentOnly.dir)[0].terms).not.toEqual(trajectory(straight.dir)[0].terms);
      expect(trajectory(studentOnly.dir)[0].terms).not.toEqual(trajectory(off.dir)[0].terms);
    } finally {
      for (const r of [straight, second, off, studentOnly]) r.dispose();
    }
  }, 600_000);
});
