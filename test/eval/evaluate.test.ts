import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { modCrop } from '../../lib/data/bicubic';
import { readImage } from '../../lib/data/decode';
import { createImage, imageToTensor, quantizeUnit } from '../../lib/data/image';
import { evaluate, evaluateOutputs, resolveSetDir, toCsv, type EvalResult } from '../../lib/eval/evaluate';
import { exactOverlap } from '../../lib/eval/tiled';
import { scorePair } from '../../lib/metrics/protocol';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig, SRNet } from '../../lib/models/types';
import type { Scale } from '../../lib/types';
import { sharedPath } from '../shared';

const BENCH = sharedPath('data/benchmark');
const SET5 = ['baby', 'bird', 'butterfly', 'head', 'woman'];
const EDSR: ArchConfig = { arch: 'edsr', feats: 4, blocks: 1, resScale: 0.1 };

let tmp: string;
let net: SRNet;

beforeAll(async () => {
  await initBackend({ backend: 'cpu', announce: false });
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'srkd-eval-'));
  net = buildModel(EDSR, 4, { seed: 7 });
});

afterAll(async () => {
  net.dispose();
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** What spec/metrics.md section 1 says, written out by hand for one image. */
async function expectedScore(n: SRNet, name: string, scale: number): Promise<{ psnr: number; ssim: number }> {
  const lr = await readImage(path.join(BENCH, 'Set5', 'LR_bicubic', `X${scale}`, `${name}x${scale}.png`));
  const hr = modCrop(await readImage(path.join(BENCH, 'Set5', 'HR', `${name}.png`)), scale);
  const x = imageToTensor(lr);
  const out = tf.tidy(() => n.forward(x).out);
  const sr = createImage(out.shape[1], out.shape[2], quantizeUnit(out.dataSync()));
  tf.dispose([x, out]);
  return scorePair(sr, hr, scale);
}

describe('evaluate', () => {
  let result: EvalResult;

  it('tiny EDSR x4 on Set5: every row equals scorePair on the same outputs; the mean is the mean of rows', async () => {
    const seen: string[] = [];
    const before = tf.memory().numTensors;
    result = await evaluate(net, { sets: ['Set5'], scale: 4, root: BENCH, saveDir: tmp, onImage: (r) => seen.push(r.image) });
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual(SET5);
    expect(result.protocol).toBe('paper-y');
    expect(result.rows.map((r) => r.image)).toEqual(SET5);
    for (const r of result.rows) {
      expect(r).toMatchObject({ protocol: 'paper-y', set: 'Set5', scale: 4 });
      const want = await expectedScore(net, r.image, 4);
      expect(r.psnr).toBe(want.psnr);
      expect(r.ssim).toBe(want.ssim);
    }
    expect(result.means).toHaveLength(1);
    const m = result.means[0];
    expect(m).toMatchObject({ protocol: 'paper-y', set: 'Set5', scale: 4, images: 5 });
    expect(m.psnr).toBeCloseTo(result.rows.reduce((s, r) => s + r.psnr, 0) / 5, 12);
    expect(m.ssim).toBeCloseTo(result.rows.reduce((s, r) => s + r.ssim, 0) / 5, 12);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('saved outputs scored by evaluateOutputs give the same rows', async () => {
    const again = await evaluateOutputs({ outputs: { Set5: path.join(tmp, 'Set5') }, scale: 4, root: BENCH });
    expect(again).toEqual(result);
  });

  it('tiled evaluation (overlap >= receptive field) gives the same scores', async () => {
    const tiled = await evaluate(net, { sets: ['Set5'], scale: 4, root: BENCH, tile: 64, overlap: exactOverlap(EDSR, 4) as number });
    tiled.rows.forEach((r, i) => {
      expect(Math.abs(r.psnr - result.rows[i].psnr)).toBeLessThan(1e-3); // a 1e-6 float difference may flip a rounding
      expect(Math.abs(r.ssim - result.rows[i].ssim)).toBeLessThan(1e-5);
    });
  });

  it('finds sets under <root>/benchmark/ and accepts set folder paths; runId goes into rows and means', async () => {
    expect(resolveSetDir('Set5', sharedPath('data'))).toEqual({ name: 'Set5', dir: path.join(BENCH, 'Set5') });
    expect(resolveSetDir(path.join(BENCH, 'Set14'))).toEqual({ name: 'Set14', dir: path.join(BENCH, 'Set14') });
    const oracle = hrOracle(3);
    await oracle.ready;
    const r = await evaluate(oracle.net, { sets: [path.join(BENCH, 'Set5')], scale: 3, root: '/nonexistent', runId: 'r1' });
    expect(r.runId).toBe('r1');
    expect(r.rows.every((row) => row.runId === 'r1' && row.set === 'Set5')).toBe(true);
    expect(r.means[0].runId).toBe('r1');
    oracle.dispose();
  });

  it('an oracle net that outputs the HR image scores infinite PSNR and SSIM 1 (checks the GT crop at x3)', async () => {
    const oracle = hrOracle(3);
    await oracle.ready;
    const r = await evaluate(oracle.net, { sets: ['Set5'], scale: 3, root: sharedPath('data') });
    expect(r.rows.map((row) => row.psnr)).toEqual([Infinity, Infinity, Infinity, Infinity, Infinity]);
    expect(r.rows.every((row) => Math.abs(row.ssim - 1) < 1e-12)).toBe(true);
    expect(r.means[0].psnr).toBe(Infinity);
    expect(toCsv(r).split('\n')[1]).toMatch(/^paper-y,,Set5,3,baby,inf,/);
    oracle.dispose();
  });

  it('missing set: names the folder and how to download it', async () => {
    await expect(evaluate(net, { sets: ['Set5', 'Urban100'], scale: 4, root: sharedPath('data') })).rejects.toThrow(
      /benchmark set 'Urban100' not found: neither .*benchmark\/Urban100 nor .*Urban100 exists; get the benchmarks with 'srkd data download benchmarks'/,
    );
    await expect(evaluateOutputs({ outputs: { B100: tmp }, scale: 4, root: BENCH })).rejects.toThrow(/srkd data download benchmarks/);
  });

  it('rejects a scale other than the network scale', async () => {
    await expect(evaluate(net, { sets: ['Set5'], scale: 2, root: BENCH })).rejects.toThrow(/network is x4 but scale 2/);
  });
});

describe('evaluateOutputs on the official RCAN Set5 outputs', () => {
  const published: Record<number, [number, number]> = { 2: [38.274168, 0.961445], 3: [34.742155, 0.929886], 4: [32.633562, 0.900241] };
  it.each([2, 3, 4])('x%i reproduces the published MATLAB means', async (scale) => {
    const r = await evaluateOutputs({ outputs: { Set5: sharedPath('data/reference_outputs/RCAN/Set5', `x${scale}`) }, scale, root: BENCH });
    expect(r.rows.map((row) => row.image)).toEqual(SET5);
    expect(Math.abs(r.means[0].psnr - published[scale][0])).toBeLessThan(5e-7);
    expect(Math.abs(r.means[0].ssim - published[scale][1])).toBeLessThan(5e-7);
    expect(r.means[0].images).toBe(5);
  });

  it('an SR folder missing images is an error naming them', async () => {
    const part = path.join(tmp, 'partial');
    await fsp.mkdir(part, { recursive: true });
    await fsp.copyFile(sharedPath('data/reference_outputs/RCAN/Set5/x4/baby_RCAN_x4.png'), path.join(part, 'baby_RCAN_x4.png'));
    await expect(evaluateOutputs({ outputs: { Set5: part }, scale: 4, root: BENCH })).rejects.toThrow(/no SR image for 4 of the Set5 HR images/);
  });
});

describe('toCsv', () => {
  it('one line per image, then one per set mean', () => {
    const r: EvalResult = {
      protocol: 'paper-y', scale: 2,
      rows: [
        { protocol: 'paper-y', set: 'S', scale: 2, image: 'a,b', psnr: 30.5, ssim: 0.9 },
        { protocol: 'paper-y', set: 'S', scale: 2, image: 'c', psnr: 31.5, ssim: 0.8 },
      ],
      means: [{ protocol: 'paper-y', set: 'S', scale: 2, psnr: 31, ssim: 0.85, images: 2 }],
    };
    expect(toCsv(r)).toBe(
      'protocol,runId,set,scale,image,psnr,ssim,images\n' +
        'paper-y,,S,2,"a,b",30.5,0.9,\n' +
        'paper-y,,S,2,c,31.5,0.8,\n' +
        'paper-y,,S,2,mean,31,0.85,2\n',
    );
  });
});

/** A fake SRNet that returns the (mod-cropped) Set5 HR image whose LR has the input's shape. */
function hrOracle(scale: Scale): { net: SRNet; ready: Promise<void>; dispose(): void } {
  const byShape = new Map<string, tf.Tensor4D>();
  const ready = (async () => {
    for (const name of SET5) {
      const hr = modCrop(await readImage(path.join(BENCH, 'Set5', 'HR', `${name}.png`)), scale);
      byShape.set(`${hr.height / scale}x${hr.width / scale}`, imageToTensor(hr));
    }
  })();
  const oracle: SRNet = {
    arch: EDSR,
    scale,
    taps: [],
    params: new Map(),
    forward(lr) {
      const t = byShape.get(`${lr.shape[1]}x${lr.shape[2]}`);
      if (!t) throw new Error(`oracle: no HR image for an LR of ${lr.shape[1]}x${lr.shape[2]}`);
      return { out: t.clone(), features: {} };
    },
    dispose() {
      byShape.forEach((t) => t.dispose());
    },
  };
  return { net: oracle, ready, dispose: () => oracle.dispose() };
}
