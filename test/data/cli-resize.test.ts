import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../cli-run';
import { UsageError } from '../../lib/cli/command';
import { resizeCommand } from '../../lib/cli/commands/resize';
import { readImage } from '../../lib/data/decode';
import { sharedPath } from '../shared';

const run = (argv: string[]): Promise<{ code: number; out: string }> => runCommand(resizeCommand, argv);

let dir = '';
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'srkd-resize-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('srkd resize', () => {
  it('a folder at x3 reproduces LR_bicubic/X3 with the same names', async () => {
    const out = path.join(dir, 'X3');
    const { code, out: text } = await run(['--scale', '3', sharedPath('data/benchmark/Set5/HR'), out]);
    expect(code).toBe(0);
    expect(text).toMatch(/resized 5 images by 1\/3/);
    const names = (await fs.readdir(out)).sort();
    expect(names).toEqual(['babyx3.png', 'birdx3.png', 'butterflyx3.png', 'headx3.png', 'womanx3.png']);
    for (const n of names) {
      expect(await readImage(path.join(out, n))).toEqual(await readImage(sharedPath('data/benchmark/Set5/LR_bicubic/X3', n)));
    }
  });

  it('a single grayscale file to a .png path, with --json', async () => {
    const target = path.join(dir, 'single', 'bridge-lr.png');
    const { code, out } = await run(['--scale', '4', '--json', sharedPath('data/benchmark/Set14/HR/bridge.png'), target]);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.files).toEqual([{ input: sharedPath('data/benchmark/Set14/HR/bridge.png'), output: target, hr: [512, 512], lr: [128, 128] }]);
    expect(await readImage(target)).toEqual(await readImage(sharedPath('data/benchmark/Set14/LR_bicubic/X4/bridgex4.png')));
  });

  it('--suffix "" keeps the names', async () => {
    const out = path.join(dir, 'plain');
    await run(['--scale', '2', '--suffix', '', sharedPath('data/benchmark/Set5/HR/head.png'), out]);
    expect(await fs.readdir(out)).toEqual(['head.png']);
  });

  it('usage errors', async () => {
    await expect(run(['--scale', '2', 'only-one'])).rejects.toThrow(UsageError);
    await expect(run(['--scale', '0.5', 'a', 'b'])).rejects.toThrow(/positive integer/);
    await expect(run(['--scale', '2', sharedPath('data/benchmark/Set5/HR'), path.join(dir, 'x.png')])).rejects.toThrow(/must be a folder/);
  });
});
