/**
 * dckdHistoryLag reads student, EMA and history model from every checkpoint of a DCKD run and scores them. With
 * historyDecay 0 and an update every step the history model IS the EMA after each step, so their PSNRs must be
 * equal at every checkpoint (a misplaced parameter would not be); with the paper's decay 0.1 the history trails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import { dckdHistoryLag } from '../../lib/reproduce/dckd-history';
import { heldOutSets } from '../../lib/reproduce/held-out';
import { train } from '../../lib/train/trainer';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-dckd-history-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('dckdHistoryLag', () => {
  it('scores student, EMA and history at every checkpoint; decay 0 makes the history the EMA', async () => {
    const base = trainPreset('smoke', { method: 'dcr-vgg', totalSteps: 3 });
    const over = { totalSteps: 3, checkpointEverySteps: 1, keepCheckpoints: 5, evalEverySteps: 0, val: { sets: [] } };
    const sets = heldOutSets({ scale: 2, data: null });
    const lag = async (historyDecay: number) => {
      const cfg = resolveTrain({ ...over, method: { historyDecay } }, base);
      const run = await train(cfg, { runsDir: path.join(TMP, `d${historyDecay}`), resume: 'none', quiet: true, engine: 'in-process' });
      try {
        return await dckdHistoryLag(run.dir, sets, 2);
      } finally {
        run.dispose();
      }
    };
    const same = await lag(0);
    expect(same.map((p) => p.step)).toEqual([1, 2, 3]);
    for (const p of same) {
      expect(p.set).toBe('synthetic-valid');
      expect(p.ema).not.toBeNull();
      expect(p.history).toBe(p.ema);
      expect(Number.isFinite(p.student)).toBe(true);
    }
    const trailing = await lag(0.1);
    expect(trailing.some((p) => p.history !== p.ema)).toBe(true);
  });

  it('refuses a run without a history model', async () => {
    const cfg = resolveTrain({ totalSteps: 1, checkpointEverySteps: 1, evalEverySteps: 0, val: { sets: [] } }, trainPreset('smoke', { method: 'kd' }));
    const run = await train(cfg, { runsDir: path.join(TMP, 'kd'), resume: 'none', quiet: true, engine: 'in-process' });
    try {
      await expect(dckdHistoryLag(run.dir, heldOutSets({ scale: 2, data: null }))).rejects.toThrow(/no DCKD history model \(method kd/);
    } finally {
      run.dispose();
    }
  });
});
