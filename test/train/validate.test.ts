/**
 * Validation sets: 'present' expands to the sets found under the data root (DUKD's released configs validate
 * Set5, Set14, B100, Urban100 and DIV2K-val); the paper preset uses it; a run logs every set's PSNR.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import { dataOverrides } from '../../lib/reproduce/job-config';
import { train } from '../../lib/train/trainer';
import { checkValSets, presentValSets, resolveValSets, validate } from '../../lib/train/validate';
import { buildModel } from '../../lib/models/build';
import { evaluate } from '../../lib/eval/evaluate';
import { initBackend } from '../../lib/backend/index';
import { sharedPath } from '../shared';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-val-test-'));
const ROOT = path.join(TMP, 'data');

beforeAll(() => {
  // a data root holding two of the five sets: Set5 and Set14 (x2 LR only)
  for (const set of ['Set5', 'Set14']) {
    const src = sharedPath('data', 'benchmark', set);
    const dst = path.join(ROOT, 'benchmark', set);
    fs.cpSync(path.join(src, 'HR'), path.join(dst, 'HR'), { recursive: true });
    fs.cpSync(path.join(src, 'LR_bicubic', 'X2'), path.join(dst, 'LR_bicubic', 'X2'), { recursive: true });
  }
});
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe("val.sets 'present'", () => {
  it('finds the sets under the root, in table order; DIV2K-val when DIV2K_valid_HR exists', () => {
    expect(presentValSets(ROOT)).toEqual(['Set5', 'Set14']);
    expect(presentValSets(path.join(TMP, 'nothing-here'))).toEqual([]);
    const other = path.join(TMP, 'other');
    fs.mkdirSync(path.join(other, 'DIV2K_valid_HR'), { recursive: true });
    fs.mkdirSync(path.join(other, 'Urban100'), { recursive: true });
    expect(presentValSets(other)).toEqual(['Urban100', 'DIV2K-val']);
  });

  it('is the paper preset\'s choice (and a paper reproduction\'s with a DIV2K root); quick and smoke keep theirs', () => {
    expect(PRESETS.paper.val.sets).toEqual(['present']);
    expect(PRESETS.quick.val.sets).toEqual(['synthetic']);
    expect(PRESETS.smoke.val.sets).toEqual(['synthetic']);
    fs.mkdirSync(path.join(ROOT, 'DIV2K_train_HR'), { recursive: true });
    expect(dataOverrides('paper', { data: ROOT }).val?.sets).toEqual(['present']);
    expect(dataOverrides('quick', { data: ROOT }).val?.sets).toEqual(['Set5']);
  });

  it('resolves with other names kept and duplicates dropped', () => {
    const cfg = resolveTrain({ val: { sets: ['Set14', 'present'], root: ROOT, limit: 1 } }, PRESETS.smoke);
    expect(resolveValSets(cfg)).toEqual(['Set14', 'Set5']);
    expect(checkValSets(cfg)).toEqual(['Set14', 'Set5']);
  });

  it('validate scores each resolved set exactly as evaluate does', async () => {
    await initBackend({ backend: 'cpu', announce: false });
    const cfg = resolveTrain({ val: { sets: ['present'], root: ROOT, limit: null } }, PRESETS.smoke);
    const net = buildModel(cfg.student, 2, { seed: 1 });
    try {
      const got = await validate(net, resolveTrain({ val: { sets: ['present'], root: ROOT, limit: 2 } }, PRESETS.smoke));
      expect(got.map((s) => [s.set, s.images])).toEqual([['Set5', 2], ['Set14', 2]]);
      const ref = await evaluate(net, { sets: ['Set5'], scale: 2, root: ROOT });
      const first2 = (ref.rows[0].psnr + ref.rows[1].psnr) / 2;
      expect(got[0].psnr).toBeCloseTo(first2, 10);
    } finally {
      net.dispose();
    }
  }, 120_000);

  it('a run validates every set present and logs each one\'s PSNR', async () => {
    const cfg = resolveTrain({ totalSteps: 2, evalEverySteps: 2, workers: 1, val: { sets: ['present'], root: ROOT, limit: 1 } },
      trainPreset('smoke', { method: 'scratch' }));
    const lines: string[] = [];
    const run = await train(cfg, { runsDir: path.join(TMP, 'runs'), resume: 'none', log: (l) => lines.push(l) });
    try {
      const last = run.results.val[run.results.val.length - 1];
      expect(last.sets.map((s) => s.set)).toEqual(['Set5', 'Set14']);
      for (const s of last.sets) expect(Number.isFinite(s.psnr)).toBe(true);
      const logged = fs.readFileSync(path.join(run.dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((e) => e.event === 'val');
      expect(logged.at(-1).sets.map((s: { set: string; psnr: number }) => s.set)).toEqual(['Set5', 'Set14']);
      expect(lines.some((l) => l.includes('validation sets present under the data root: Set5, Set14'))).toBe(true);
      expect(lines.some((l) => /Set5 [\d.]+ dB .*Set14 [\d.]+ dB/.test(l))).toBe(true);
    } finally {
      run.dispose();
    }
  }, 300_000);
});
