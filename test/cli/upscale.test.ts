// srkd upscale end to end through bin/srkd.js: a PyTorch checkpoint on a real LR image, tiled and whole,
// against the same network run directly in-process; exit codes for bad input.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '../../lib/data/decode';
import { imageToTensor, tensorToImage } from '../../lib/data/image';
import { loadPretrained } from '../../lib/io/pretrained';
import { buildModel } from '../../lib/models/build';
import { sharedPath } from '../shared';

const ROOT = path.resolve(__dirname, '../..');
const CKPT = sharedPath('data/fixtures/tiny_edsr_basicsr_x2_zip.pth');
const LR = sharedPath('data/benchmark/Set5/LR_bicubic/X2/birdx2.png');

function srkd(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/srkd.js'), ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, SRKD_BACKEND: 'cpu' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('srkd upscale', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-upscale-'));
    await tf.setBackend('cpu');
  });

  it('writes the same pixels as the network run directly, whole and tiled', async () => {
    const whole = path.join(dir, 'whole.png');
    const tiled = path.join(dir, 'tiled.png');
    const a = srkd(['upscale', '--model', CKPT, '--scale', '2', '--tile', '0', '--json', LR, whole]);
    expect(a.status, a.stderr).toBe(0);
    const summary = JSON.parse(a.stdout);
    expect(summary.files[0].sr).toEqual(summary.files[0].lr.map((n: number) => 2 * n));
    const b = srkd(['upscale', '--model', CKPT, '--scale', '2', '--tile', '40', '--overlap', '12', LR, tiled]);
    expect(b.status, b.stderr).toBe(0);

    const lr = await readImage(LR);
    const net = buildModel({ arch: 'edsr', feats: 8, blocks: 2, resScale: 0.1 }, 2);
    try {
      loadPretrained(net, CKPT);
      const expected = tf.tidy(() => tensorToImage(net.forward(imageToTensor(lr)).out));
      for (const file of [whole, tiled]) {
        const got = await readImage(file);
        expect([got.height, got.width]).toEqual([2 * lr.height, 2 * lr.width]);
        let maxDiff = 0;
        for (let i = 0; i < got.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.data[i] - expected.data[i]));
        expect(maxDiff, file).toBeLessThanOrEqual(1); // identical up to a rounding tie in the last 8-bit level
      }
    } finally {
      net.dispose();
    }
  });

  it('refuses a scale the model does not have, and a missing input, with exit code 2', () => {
    const wrong = srkd(['upscale', '--model', CKPT, '--scale', '4', LR, path.join(dir, 'x.png')]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/--scale 4 does not match the model, which is x2/);
    const missing = srkd(['upscale', '--model', CKPT, '--scale', '2', path.join(dir, 'nope.png'), path.join(dir, 'y.png')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.png' does not exist/);
  });
});
