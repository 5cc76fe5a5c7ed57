/**
 * A reproduction job on a folder of real photographs (`data: DIR`, the folder layout): 48 x 48 crops of the
 * shared Set14 HR images, written by the test into a temp folder. The job trains on all but the held-out photos
 * and scores the students on those (and on benchmark sets under $SRKD_DATA when there are any).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reproduceAblation } from '../../lib/reproduce/ablation';
import { heldOutSets } from '../../lib/reproduce/held-out';
import type { JobResult } from '../../lib/reproduce/job';
import { folderHeldOutCount, jobDataLayout } from '../../lib/reproduce/job-data';
import { sharedPath } from '../shared';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-photo-folder-'));
const PHOTOS = path.join(TMP, 'photos');
const NO_BENCHMARKS = path.join(TMP, 'empty-data-root');
const SET14 = sharedPath('data', 'benchmark', 'Set14', 'HR');
const oldData = process.env.SRKD_DATA;

beforeAll(async () => {
  fs.mkdirSync(PHOTOS, { recursive: true });
  fs.mkdirSync(NO_BENCHMARKS, { recursive: true });
  const names = fs.readdirSync(SET14).filter((n) => n.endsWith('.png')).sort().slice(0, 6);
  for (const [i, n] of names.entries()) {
    await sharp(path.join(SET14, n)).extract({ left: 40 + 8 * i, top: 40, width: 48, height: 48 }).png().toFile(path.join(PHOTOS, `photo-${i}.png`));
  }
});

afterAll(() => {
  if (oldData === undefined) delete process.env.SRKD_DATA;
  else process.env.SRKD_DATA = oldData;
  fs.rmSync(TMP, { recursive: true, force: true });
});

describe('data: a folder of photos', () => {
  it('holds out the last tenth of the photos (at least one)', () => {
    expect([2, 6, 15, 100, 5000].map(folderHeldOutCount)).toEqual([1, 1, 2, 10, 100]);
    process.env.SRKD_DATA = NO_BENCHMARKS;
    expect(jobDataLayout(PHOTOS)).toEqual({ kind: 'folder', root: PHOTOS, images: 6, train: 5, heldOut: 1, benchmarkRoot: NO_BENCHMARKS });
    expect(() => jobDataLayout(NO_BENCHMARKS)).toThrow(/holds neither DIV2K_train_HR \(a DIV2K root\) nor images/);
    expect(() => jobDataLayout(path.join(TMP, 'nope'))).toThrow(/folder .*nope does not exist/);
  });

  it('scores on the benchmark sets under $SRKD_DATA when present, then on the held-out photos', () => {
    process.env.SRKD_DATA = sharedPath('data');
    const sets = heldOutSets({ scale: 2, data: PHOTOS });
    expect(sets.map((s) => s.name)).toEqual(['Set5', 'Set14', 'photos-held-out']);
    expect(sets[2].dataset.pairs.map((p) => p.name)).toEqual(['photo-5']);
  });

  describe('the smoke ablation on the photos (no benchmark sets)', () => {
    let job: JobResult;
    beforeAll(async () => {
      process.env.SRKD_DATA = NO_BENCHMARKS;
      job = await reproduceAblation({ preset: 'smoke', data: PHOTOS, rows: ['scratch', 'kd'], runsDir: path.join(TMP, 'runs'), workers: 1 });
    }, 600_000);

    it('trains on the first photos only and scores the held-out one beside the paper\'s DIV2K-val column', () => {
      expect(job.data).toBe(PHOTOS);
      expect(job.rows.map((r) => [r.row, r.set, r.paperSet])).toEqual([['scratch', 'photos-held-out', 'DIV2K-val'], ['kd', 'photos-held-out', 'DIV2K-val']]);
      for (const r of job.rows) expect(Number.isFinite(r.psnr)).toBe(true);
      for (const run of job.runs) {
        const cfg = JSON.parse(fs.readFileSync(path.join(run.dir, 'config.json'), 'utf8')) as { data: { kind: string; root: string; limit: number }; val: { sets: string[] } };
        expect(cfg.data).toMatchObject({ kind: 'folder', root: PHOTOS, limit: 5 });
        expect(cfg.val.sets).toEqual([]); // no Set5 under $SRKD_DATA: no validation during training
      }
      expect(job.teachers[0].heldOut?.map((h) => h.set)).toEqual(['photos-held-out']);
      expect(job.agreement.map((a) => a.heldOut[0].set)).toEqual(['photos-held-out', 'photos-held-out']);
    });
  });
});
