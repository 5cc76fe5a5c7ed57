import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imresizeUint8, modCrop } from '../../lib/data/bicubic';
import { readImage } from '../../lib/data/decode';
import { scorePair } from '../../lib/metrics/protocol';
import { psnrY } from '../../lib/metrics/psnr';
import { ssimY } from '../../lib/metrics/ssim';
import { matchHrStem, scoreFolder } from '../../lib/metrics/score-folder';
import { sharedPath } from '../shared';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON vectors */
const REF: any = JSON.parse(readFileSync(sharedPath('spec/vectors/benchmark_reference.json'), 'utf8'));

describe('matchHrStem', () => {
  const hr = ['baby', 'bird', 'man', 'manga', 'ppt3'];
  it.each([
    ['baby_RCAN_x4', 'baby'],
    ['babyx4', 'baby'],
    ['baby_SR', 'baby'],
    ['baby', 'baby'],
    ['baby-x2', 'baby'],
    ['ppt3x2', 'ppt3'],
    ['manga_x3', 'manga'],
    ['man_x3', 'man'],
    ['babyface', null],
    ['zebra', null],
  ])('%s -> %s', (sr, want) => expect(matchHrStem(sr, hr)).toBe(want));
});

/**
 * The RCAN authors' MATLAB evaluation of their published Set5 outputs (RCAN_TestCode/PSNR_SSIM_Results_BI_model.txt):
 * per image `x4 1 baby_RCAN_x4.png: PSNR= 33.948246 SSIM= 0.896239` and per scale `x4: PSNR= 32.633562 SSIM= 0.900241`,
 * for the Method_1 (RCAN) block only; the RCAN+ block follows it.
 */
function readRcanResults(file: string): { rows: Map<string, [number, number]>; means: Map<number, [number, number]> } {
  const text = readFileSync(file, 'utf8');
  const rcan = text.slice(text.indexOf('Method_1: RCAN;'), text.indexOf('Method_2:'));
  const rows = new Map<string, [number, number]>();
  const means = new Map<number, [number, number]>();
  for (const m of rcan.matchAll(/^x(\d) \d+ (\w+)_RCAN_x\d\.png: PSNR= ([\d.]+) SSIM= ([\d.]+)$/gm)) rows.set(`x${m[1]} ${m[2]}`, [Number(m[3]), Number(m[4])]);
  for (const m of rcan.matchAll(/^x(\d): PSNR= ([\d.]+) SSIM= ([\d.]+)$/gm)) means.set(Number(m[1]), [Number(m[2]), Number(m[3])]);
  return { rows, means };
}

describe('scoreFolder on the official RCAN Set5 outputs', () => {
  const authors = readRcanResults(sharedPath('data/reference_outputs/RCAN/PSNR_SSIM_Results_BI_model.txt'));
  it("reads the authors' result file (5 images and a mean at x2, x3, x4, x8)", () => {
    expect(authors.rows.size).toBe(20);
    expect([...authors.means.keys()]).toEqual([2, 3, 4, 8]);
  });
  it.each([2, 3, 4])('x%i reproduces the MATLAB per-image values and means', async (scale) => {
    const res = await scoreFolder({
      srDir: sharedPath('data/reference_outputs/RCAN/Set5', `x${scale}`),
      hrDir: sharedPath('data/benchmark/Set5/HR'),
      scale,
    });
    expect(res.protocol).toBe('paper-y');
    expect(res.unmatchedSr).toEqual([]);
    expect(res.missingSr).toEqual([]);
    const rows = REF.rcan_official_outputs_set5.rows.filter((r: any) => r.scale === scale);
    expect(res.rows.map((r) => r.image)).toEqual(rows.map((r: any) => r.image));
    rows.forEach((r: any, i: number) => {
      // the reference rows are printed with 6 decimals
      expect(Math.abs(res.rows[i].psnr - r.psnr_y)).toBeLessThan(6e-7);
      expect(Math.abs(res.rows[i].ssim - r.ssim_y)).toBeLessThan(6e-7);
      // the authors' MATLAB values (6 decimals; MATLAB's own float rounding differs by up to 1e-6)
      const [psnr, ssim] = authors.rows.get(`x${scale} ${r.image}`)!;
      expect(Math.abs(res.rows[i].psnr - psnr)).toBeLessThan(2e-6);
      expect(Math.abs(res.rows[i].ssim - ssim)).toBeLessThan(2e-6);
    });
    const [meanPsnr, meanSsim] = authors.means.get(scale)!;
    expect(Math.abs(res.mean.psnr - meanPsnr)).toBeLessThan(1e-4);
    expect(Math.abs(res.mean.ssim - meanSsim)).toBeLessThan(1e-5);
    expect(res.mean.psnr).toBeCloseTo(REF.rcan_official_outputs_set5.mean[`x${scale}`].psnr_y, 6);
  });

  it('rejects SR images that are not the mod-cropped HR size', async () => {
    await expect(
      scoreFolder({ srDir: sharedPath('data/reference_outputs/RCAN/Set5/x3'), hrDir: sharedPath('data/benchmark/Set5/HR'), scale: 2 }),
    ).rejects.toThrow(/mod-cropped to the scale is/);
  });

  it('errors when nothing matches', async () => {
    await expect(
      scoreFolder({ srDir: sharedPath('data/benchmark/Set14/HR'), hrDir: sharedPath('data/benchmark/Set5/HR'), scale: 4 }),
    ).rejects.toThrow(/no SR file .* matches/);
  });
});

describe('bicubic-interpolation baseline (spec/metrics.md 2.5), end to end', () => {
  const results = REF.bicubic_interpolation_baseline.results;
  it.each(Object.keys(results))('%s', async (key) => {
    const [set, sx] = key.split('_');
    const scale = Number(sx.slice(1));
    const vals: number[][] = [];
    for (const r of results[key].per_image) {
      const hr = modCrop(await readImage(sharedPath('data/benchmark', set, 'HR', `${r.image}.png`)), scale);
      const up = imresizeUint8(imresizeUint8(hr, 1 / scale), scale);
      // these reference values were made with float64 Y: exact to the 6 printed decimals that way,
      // and within the spec's ~1e-6 float32-vs-float64 difference with the BasicSR float32 Y
      expect(Math.abs(psnrY(up, hr, scale, 'float64') - r.psnr_y)).toBeLessThan(6e-7);
      if (set === 'Set5') expect(Math.abs(ssimY(up, hr, scale, 'float64') - r.ssim_y)).toBeLessThan(6e-7); // Set14: time
      const s = scorePair(up, hr, scale);
      expect(Math.abs(s.psnr - r.psnr_y)).toBeLessThan(1.5e-6);
      expect(Math.abs(s.ssim - r.ssim_y)).toBeLessThan(1.5e-6);
      vals.push([s.psnr, s.ssim]);
    }
    const mean = (k: number): number => vals.reduce((a, v) => a + v[k], 0) / vals.length;
    expect(Math.abs(mean(0) - results[key].mean_psnr_y)).toBeLessThan(5e-5);
    expect(Math.abs(mean(1) - results[key].mean_ssim_y)).toBeLessThan(5e-5);
  });
});
