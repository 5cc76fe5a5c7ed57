import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createImage, type RgbImage } from '../../lib/data/image';
import { psnrPlane, psnrRgb, psnrY } from '../../lib/metrics/psnr';
import { gaussianKernel1d, ssimPlane, ssimRgb, ssimY } from '../../lib/metrics/ssim';
import { rgbToY, yPlane, type Plane } from '../../lib/metrics/ycbcr';
import { PAPER_Y, cropBorder, describeProtocol, scorePair } from '../../lib/metrics/protocol';
import { sharedPath } from '../shared';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON vectors */
const V: any = JSON.parse(readFileSync(sharedPath('spec/vectors/metrics.json'), 'utf8'));
const P = V.psnr_ssim_small;

const rgb = (rows: number[][][]): RgbImage => createImage(rows.length, rows[0].length, Uint8Array.from(rows.flat(2)));
const grey = (rows: number[][]): Plane => ({ data: Float64Array.from(rows.flat()), height: rows.length, width: rows[0].length });

describe('Y channel', () => {
  it.each((V.rgb_to_y.cases as any[]).map((c: any): [string, any] => [c.rgb.join(','), c]))('rgb %s', (_n: string, c: any) => {
    expect(rgbToY(c.rgb[0], c.rgb[1], c.rgb[2])).toBeCloseTo(c.y, 9);
    const img = createImage(1, 1, Uint8Array.from(c.rgb));
    expect(yPlane(img, 0, 'float64').data[0]).toBeCloseTo(c.y, 9);
    expect(Math.abs(yPlane(img, 0, 'float32').data[0] - c.y)).toBeLessThan(2e-5); // float32, not rounded
  });

  it('border crop removes `crop` pixels on every side', () => {
    const img = createImage(6, 7, Uint8Array.from({ length: 126 }, (_, i) => i % 256));
    const y = yPlane(img, 2);
    expect([y.height, y.width]).toEqual([2, 3]);
    expect(y.data[0]).toBe(yPlane(createImage(1, 1, img.data.slice((2 * 7 + 2) * 3, (2 * 7 + 2) * 3 + 3))).data[0]);
    expect(() => yPlane(img, 3)).toThrow(/border crop 3/);
  });
});

describe('PSNR', () => {
  const a = rgb(P.img1_hwc_rgb_uint8);
  const b = rgb(P.img2_hwc_rgb_uint8);
  it('Y, float32 Y as BasicSR (10 decimals)', () => {
    expect(psnrY(a, b, 0)).toBeCloseTo(P.psnr_y_crop0_float32_y, 9);
    expect(psnrY(a, b, 2)).toBeCloseTo(P.psnr_y_crop2_float32_y, 9);
  });
  it('Y, float64 Y', () => {
    expect(psnrY(a, b, 0, 'float64')).toBeCloseTo(P.psnr_y_crop0, 9);
    expect(psnrY(a, b, 2, 'float64')).toBeCloseTo(P.psnr_y_crop2, 9);
  });
  it('RGB and gray', () => {
    expect(psnrRgb(a, b, 0)).toBeCloseTo(P.psnr_rgb_crop0, 9);
    expect(psnrPlane(grey(P.gray1_uint8), grey(P.gray2_uint8))).toBeCloseTo(P.gray_psnr, 9);
  });
  it('identical images give Infinity', () => {
    expect(psnrY(a, a, 0)).toBe(Infinity);
  });
  it('size mismatch is an error', () => {
    expect(() => psnrY(a, createImage(16, 15), 0)).toThrow(/sizes differ/);
  });
});

describe('SSIM', () => {
  const a = rgb(P.img1_hwc_rgb_uint8);
  const b = rgb(P.img2_hwc_rgb_uint8);
  it('gaussian window centre row', () => {
    const g = gaussianKernel1d();
    const row = Array.from(g, (v) => v * g[5]);
    row.forEach((v, i) => expect(v).toBeCloseTo(V['gaussian_window_11_1.5_center_row'][i], 11));
    expect(g.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
  });
  it('Y, float32 Y as BasicSR (10 decimals)', () => {
    expect(ssimY(a, b, 0)).toBeCloseTo(P.ssim_y_crop0_float32_y, 9);
    expect(ssimY(a, b, 2)).toBeCloseTo(P.ssim_y_crop2_float32_y, 9);
  });
  it('Y, float64 Y', () => {
    expect(ssimY(a, b, 0, 'float64')).toBeCloseTo(P.ssim_y_crop0, 9);
    expect(ssimY(a, b, 2, 'float64')).toBeCloseTo(P.ssim_y_crop2, 9);
  });
  it('RGB, gray, identical', () => {
    expect(ssimRgb(a, b, 0)).toBeCloseTo(P.ssim_rgb_crop0, 9);
    expect(ssimPlane(grey(P.gray1_uint8), grey(P.gray2_uint8))).toBeCloseTo(P.gray_ssim, 9);
    expect(ssimY(a, a, 0)).toBeCloseTo(P.identical_ssim, 12);
  });
  it('needs 11x11 after the crop', () => {
    expect(() => ssimY(a, b, 3)).toThrow(/at least 11x11/);
  });
  it('512x512 takes well under a second', () => {
    const n = 512 * 512 * 3;
    const x = createImage(512, 512, Uint8Array.from({ length: n }, (_, i) => (i * 7919) % 251));
    const y = createImage(512, 512, Uint8Array.from({ length: n }, (_, i) => (i * 7919 + (i % 13)) % 251));
    const t0 = performance.now();
    const s = ssimY(x, y, 4);
    const ms = performance.now() - t0;
    expect(s).toBeGreaterThan(0);
    expect(ms).toBeLessThan(500);
  });
});

describe('protocol', () => {
  it('PAPER_Y is the paper protocol', () => {
    expect(PAPER_Y).toEqual({ id: 'paper-y', channel: 'y-bt601', crop: 'scale', quantize: 'uint8', lrFrom: 'matlab-bicubic' });
    expect(JSON.parse(JSON.stringify(PAPER_Y))).toEqual(PAPER_Y);
    expect(describeProtocol(PAPER_Y)).toMatch(/^paper-y: .*Y \(BT\.601\).*crop = scale/);
    expect(cropBorder(PAPER_Y, 3)).toBe(3);
  });
  it('scorePair crops the border by the scale', () => {
    const a = rgb(P.img1_hwc_rgb_uint8);
    const b = rgb(P.img2_hwc_rgb_uint8);
    const s = scorePair(a, b, 2);
    expect(s.psnr).toBeCloseTo(P.psnr_y_crop2_float32_y, 9);
    expect(s.ssim).toBeCloseTo(P.ssim_y_crop2_float32_y, 9);
  });
});
