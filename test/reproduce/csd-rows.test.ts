/**
 * The CSD rows of `srkd reproduce main` (lib/reproduce/main-comparison.ts, released-csd.ts): EDSR's Table 2 block
 * gains CSD and the sliced-init Scratch beside it, on the teacher's first channels, without the x2 warm start;
 * CSD's released checkpoint (here the shared tiny CSD fixture, in CSD's own layout) can be the CSD row; a smoke job
 * trains both rows and checks the claim that pairs them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auxFixture } from '../aux-fixtures';
import { loadCsdEdsr } from '../../lib/io/csd-checkpoint';
import { extractSlimEdsr } from '../../lib/models/csd-edsr';
import { ZOO } from '../../lib/models/zoo';
import { checkClaims } from '../../lib/reproduce/claims';
import { rowConfig } from '../../lib/reproduce/job-config';
import { mainComparisonRows, mainCsdWeights, reproduceMainComparison } from '../../lib/reproduce/main-comparison';
import { table2Row } from '../../lib/reproduce/paper-numbers';
import { loadReleasedCsdStudent, releasedCsdFile } from '../../lib/reproduce/released-csd';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-csd-rows-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Table 2 CSD rows', () => {
  it('EDSR: CSD and the sliced-init Scratch after FAKD, on the teacher\'s first 64 channels under paper; none for RCAN / SwinIR', () => {
    const rows = mainComparisonRows('paper', 'edsr', 4);
    expect(rows.map((r) => r.row)).toEqual(['scratch', 'kd', 'fakd', 'fakd-release', 'csd', 'csd-slice-scratch', 'dukd']);
    expect(rows.filter((r) => r.optional).map((r) => r.row)).toEqual(['fakd-release']); // FAKD*: trained when named
    const csd = rows.find((r) => r.row === 'csd')!;
    const slice = rows.find((r) => r.row === 'csd-slice-scratch')!;
    expect(csd.pair.student).toEqual(ZOO['edsr-student'].arch); // Table 2's student is exactly the slice
    expect(csd.label).toBe('CSD');
    expect(csd.paper).toEqual(table2Row('edsr', 4, 'csd')!.sets);
    expect(slice.paper).toBeNull();
    expect([csd.warmStart, slice.warmStart]).toEqual([false, false]);
    expect(mainComparisonRows('paper', 'rcan', 4).some((r) => r.row.startsWith('csd'))).toBe(false);
    // the row configs validate: the paper pair, the slice-scratch preset (L1 alone), K = 10 <= batch 16
    const cfg = rowConfig('paper', { scale: 4, method: 'csd', pair: csd.pair, teacherWeights: '/t.pth' });
    expect(cfg.method).toMatchObject({ kind: 'csd', widthMult: 0.25, negatives: 10, clWeight: 200 / 255, teacherWeight: 1 });
    expect(cfg.teacherWeights).toBe('/t.pth');
    expect(rowConfig('paper', { scale: 4, method: 'csd-slice-scratch', pair: slice.pair, teacherWeights: '/t.pth' }).method)
      .toMatchObject({ kind: 'csd', clWeight: 0, teacherWeight: 0 });
  });

  it('quick / smoke: the preset student is no slice, so both CSD rows name their own student; K fits the batch', () => {
    const rows = mainComparisonRows('quick', 'edsr', 2);
    const csd = rows.find((r) => r.row === 'csd')!;
    expect(csd.pair.student).toEqual({ arch: 'edsr', feats: 4, blocks: 4, resScale: 1 });
    expect(csd.label).toBe("CSD [own student: EDSR 4x4, the teacher's first channels]");
    expect(rows.find((r) => r.row === 'csd-slice-scratch')!.label).toContain('own student: EDSR 4x4');
    expect(rowConfig('quick', { scale: 2, method: 'csd', pair: csd.pair, teacherWeights: null }).method).toMatchObject({ negatives: 8 });
  });

  it("the released checkpoint: found in the weights directory at x4 under paper only; loaded as CSD's width-0.25 student", () => {
    const dir = path.join(TMP, 'weights');
    fs.mkdirSync(dir, { recursive: true });
    expect(releasedCsdFile(4, dir)).toBeNull();
    fs.copyFileSync(auxFixture('tiny_csd_edsr_x4.pt'), path.join(dir, 'edsr_x4_0.25student.pth'));
    expect(releasedCsdFile(4, dir)).toBe(path.join(dir, 'edsr_x4_0.25student.pth'));
    const old = process.env.SRKD_WEIGHTS_DIR;
    process.env.SRKD_WEIGHTS_DIR = dir;
    try {
      expect(mainCsdWeights({ preset: 'paper' }, 'edsr', 4)).toBe(path.join(dir, 'edsr_x4_0.25student.pth'));
      expect(mainCsdWeights({ preset: 'paper' }, 'edsr', 2)).toBeNull();
      expect(mainCsdWeights({ preset: 'quick' }, 'edsr', 4)).toBeNull();
      expect(mainCsdWeights({ preset: 'paper', csdWeights: null }, 'edsr', 4)).toBeNull();
      expect(mainCsdWeights({ preset: 'paper' }, 'rcan', 4)).toBeNull();
    } finally {
      if (old === undefined) delete process.env.SRKD_WEIGHTS_DIR;
      else process.env.SRKD_WEIGHTS_DIR = old;
    }
    const rows = mainComparisonRows('paper', 'edsr', 4, '/w/edsr_x4_0.25student.pth');
    expect(rows.find((r) => r.row === 'csd')!.label).toBe('CSD (released checkpoint edsr_x4_0.25student.pth)');
    expect(rows.find((r) => r.row === 'csd')!.released!.file).toBe('/w/edsr_x4_0.25student.pth');
    // 16-feature shared fixture -> its first 4 channels, an ordinary EDSR
    const student = loadReleasedCsdStudent(auxFixture('tiny_csd_edsr_x4.pt'));
    const { net } = loadCsdEdsr(auxFixture('tiny_csd_edsr_x4.pt'));
    const slim = extractSlimEdsr(net, 0.25);
    try {
      expect(student.arch).toEqual({ arch: 'edsr', feats: 4, blocks: 2, resScale: 0.1 });
      for (const [k, v] of student.params) expect(tf.util.arraysEqual(v.dataSync(), slim.params.get(k)!.dataSync())).toBe(true);
    } finally {
      student.dispose();
      net.dispose();
      slim.dispose();
    }
  });
});

describe('reproduce main with the CSD rows (smoke preset)', () => {
  it('trains CSD and the sliced-init Scratch against the shared teacher, and pairs them in a claim; a released model scores without training', async () => {
    const job = await reproduceMainComparison({
      preset: 'smoke', onlyRows: ['scratch', 'csd', 'csd-slice-scratch'], runsDir: path.join(TMP, 'runs'), workers: 1, agreement: false,
    });
    expect([...new Set(job.rows.map((r) => r.row))]).toEqual(['scratch', 'csd', 'csd-slice-scratch']);
    expect(job.rows.every((r) => Number.isFinite(r.psnr))).toBe(true);
    const formula = (row: string) => job.runs.find((r) => r.row === row)!.formula;
    expect(formula('csd')).toBe('total = 1·rec + 0.7843·cl + 1·t_rec');
    expect(formula('csd-slice-scratch')).toBe('total = 1·rec');
    expect(checkClaims(job).map((c) => c.id)).toContain('csd>slice-scratch');
    // both CSD rows run on the job's one teacher
    const teacherRuns = new Set(job.runs.filter((r) => r.row !== 'scratch').map((r) => r.teacherRunId));
    expect(teacherRuns.size).toBe(1);

    const released = await reproduceMainComparison({
      preset: 'smoke', onlyRows: ['csd'], runsDir: path.join(TMP, 'runs'), workers: 1, agreement: false, csdWeights: auxFixture('tiny_csd_edsr_x2.pt'),
    });
    expect(released.teachers).toEqual([]); // nothing trained
    expect(released.runs[0]).toMatchObject({ row: 'csd', runId: 'released:tiny_csd_edsr_x2.pt', cached: true, trainSec: 0 });
    expect(released.rows[0].label).toBe('CSD (released checkpoint tiny_csd_edsr_x2.pt)');
  }, 600_000);
});
