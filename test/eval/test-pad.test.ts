// Test-time padding conventions (reflect: BasicSR; flip: SwinIR's main_test_swinir.py) against PyTorch 1.13 running
// BasicSR's SwinIR with the tiny fixture weights (test/fixtures/swinir-test-pad.json, made by swinir-test-pad.py).
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { evaluate } from '../../lib/eval/evaluate';
import { flipPad, flipPadAmount, padProtocolId, parseTestPad, testPadSize, upscaleWithPad } from '../../lib/eval/test-pad';
import { inferArchFromCheckpoint, loadPretrained } from '../../lib/io/pretrained';
import { buildModel } from '../../lib/models/build';
import { padLrForWindow } from '../../lib/models/swinir';
import type { SRNet } from '../../lib/models/types';
import { sharedPath } from '../shared';

type Run = { padded_shape: number[]; padded: number[]; out_shape: number[]; out: number[] };
type Case = { lr_shape: [number, number, number, number]; lr: number[]; reflect: Run; flip: Run };
const GOLD = JSON.parse(fs.readFileSync(sharedPath('swinir-test-pad.json'), 'utf8')) as { window_size: number; scale: number; cases: Case[] };
const CKPT = sharedPath('data', 'fixtures', 'tiny_swinir_x2_zip.pth');

let net: SRNet;
beforeAll(async () => {
  await initBackend({ backend: 'cpu', announce: false });
  const inferred = inferArchFromCheckpoint(CKPT);
  net = buildModel(inferred.arch, inferred.scale);
  loadPretrained(net, CKPT, { strict: true });
});
afterAll(() => net.dispose());

const maxDiff = (a: ArrayLike<number>, b: readonly number[]): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('test-time padding against PyTorch', () => {
  it('flip pad amounts follow SwinIR\'s script: a whole window when already a multiple', () => {
    expect([5, 6, 7, 8, 9].map((h) => flipPadAmount(h, 4))).toEqual([3, 2, 1, 4, 3]);
  });

  for (const c of GOLD.cases) {
    const [, h, w] = c.lr_shape;
    it(`${h}x${w}: padded inputs equal torch's (reflect: F.pad, flip: cat with the flipped image)`, () => {
      const lr = tf.tensor4d(c.lr, c.lr_shape);
      const r = padLrForWindow(lr, GOLD.window_size);
      const f = flipPad(lr, GOLD.window_size);
      expect(r.shape).toEqual(c.reflect.padded_shape);
      expect(f.shape).toEqual(c.flip.padded_shape);
      expect(maxDiff(r.dataSync(), c.reflect.padded)).toBeLessThan(1e-6);
      expect(maxDiff(f.dataSync(), c.flip.padded)).toBeLessThan(1e-6);
      expect(testPadSize(h, w, 'flip', net.arch)).toEqual(c.flip.padded_shape.slice(1, 3));
      tf.dispose([lr, r, f]);
    });

    for (const pad of ['reflect', 'flip'] as const) {
      it(`${h}x${w}, ${pad}: the tiny SwinIR x2 output equals torch's`, async () => {
        const lr = tf.tensor4d(c.lr, c.lr_shape);
        const before = tf.memory().numTensors;
        const out = await upscaleWithPad(net, lr, pad, { tile: 0 });
        expect(tf.memory().numTensors).toBe(before);
        expect([out.height, out.width]).toEqual(c[pad].out_shape.slice(1, 3));
        expect(maxDiff(out.data, c[pad].out)).toBeLessThan(2e-5);
        lr.dispose();
      });
    }
  }

  it('the two conventions differ on these inputs (the fixture tells them apart)', () => {
    for (const c of GOLD.cases) expect(maxDiff(c.reflect.out, c.flip.out)).toBeGreaterThan(1e-3);
  });

  it('flip with tiles: the padded image is tiled, a covering tile equals the whole-image run', async () => {
    const c = GOLD.cases[0];
    const lr = tf.tensor4d(c.lr, c.lr_shape);
    const out = await upscaleWithPad(net, lr, 'flip', { tile: 64 });
    expect(maxDiff(out.data, c.flip.out)).toBeLessThan(2e-5);
    lr.dispose();
  });
});

describe('protocol names and options', () => {
  it("'flip' renames the protocol for windowed nets only", () => {
    expect(padProtocolId('paper-y', 'flip', net.arch)).toBe('paper-y+flip-pad');
    expect(padProtocolId('paper-y', 'reflect', net.arch)).toBe('paper-y');
    expect(padProtocolId('paper-y', 'flip', { arch: 'edsr', feats: 4, blocks: 1, resScale: 0.1 })).toBe('paper-y');
  });

  it('bad names and too-small images fail with a clear error', () => {
    expect(() => parseTestPad('zero', '--pad')).toThrow("--pad must be one of reflect, flip (got 'zero')");
    const x = tf.zeros([1, 1, 5, 3]) as tf.Tensor4D; // 3 rows of padding for 1 row
    expect(() => flipPad(x, 4)).toThrow(/needs padding <= size/);
    x.dispose();
  });

  it('evaluate carries the protocol name into every row and mean', async () => {
    const x4: SRNet = buildModel({ arch: 'swinir', embedDim: 6, depths: [1], heads: [2], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffledirect', upsampleFeats: 64 }, 4, { seed: 3 });
    try {
      const res = await evaluate(x4, { sets: ['Set5'], scale: 4, root: sharedPath('data/benchmark'), pad: 'flip' });
      expect(res.protocol).toBe('paper-y+flip-pad');
      expect(new Set([...res.rows, ...res.means].map((r) => r.protocol))).toEqual(new Set(['paper-y+flip-pad']));
    } finally {
      x4.dispose();
    }
  }, 120_000);
});
