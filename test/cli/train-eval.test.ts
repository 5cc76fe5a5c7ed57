/** `srkd train` config errors and `srkd eval` on a saved model (in process; no worker pool needed). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseCommandArgs } from '../../lib/cli/command';
import { evalCommand } from '../../lib/cli/commands/eval';
import { trainCommand } from '../../lib/cli/commands/train';
import { saveModel } from '../../lib/io/model-file';
import { buildModel } from '../../lib/models/build';
import { initBackend } from '../../lib/backend/index';
import { sharedPath } from '../shared';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-cli-test-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await fn(), out };
  } finally {
    spy.mockRestore();
  }
}

describe('srkd train', () => {
  it('rejects a bad config naming the file, key and value', async () => {
    const file = path.join(TMP, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ preset: 'smoke', optim: { learningRate: -1 } }));
    await expect(trainCommand.run(parseCommandArgs(trainCommand, ['--config', file]))).rejects.toThrow(
      `${file}: optim.learningRate must be > 0 (got -1)`);
    fs.writeFileSync(file, JSON.stringify({ preset: 'smoke', data: { batchsize: 4 } }));
    await expect(trainCommand.run(parseCommandArgs(trainCommand, ['--config', file]))).rejects.toThrow(/unknown key 'data\.batchsize'/);
    await expect(trainCommand.run(parseCommandArgs(trainCommand, ['--config', path.join(TMP, 'none.json')]))).rejects.toThrow(/does not exist/);
  });

  it('checks the --student-init flags before training', async () => {
    const file = path.join(TMP, 'ok.json');
    fs.writeFileSync(file, JSON.stringify({ preset: 'smoke' }));
    await expect(trainCommand.run(parseCommandArgs(trainCommand, ['--config', file, '--student-init-mode', 'all-matching'])))
      .rejects.toThrow('--student-init-mode needs --student-init PATH');
    await expect(trainCommand.run(parseCommandArgs(trainCommand, ['--config', file, '--student-init', TMP, '--student-init-mode', 'body'])))
      .rejects.toThrow('--student-init-mode must be one of all-but-upsampler, all-matching (got body)');
    await expect(trainCommand.run(parseCommandArgs(trainCommand, ['--config', file, '--student-init', path.join(TMP, 'missing-run'), '--runs-dir', path.join(TMP, 'runs'), '--quiet'])))
      .rejects.toThrow(/studentInit\.weights: .*missing-run does not exist/);
  });
});

describe('srkd eval', () => {
  it('scores a kit model on Set5 (JSON and CSV)', async () => {
    await initBackend({ announce: false });
    const net = buildModel({ arch: 'edsr', feats: 4, blocks: 1, resScale: 1 }, 2, { seed: 1 });
    const dir = path.join(TMP, 'model');
    try {
      await saveModel(net, dir);
    } finally {
      net.dispose();
    }
    const args = ['--model', dir, '--sets', 'Set5', '--scale', '2', '--data', sharedPath('data')];
    const json = await capture(() => evalCommand.run(parseCommandArgs(evalCommand, [...args, '--json'])));
    expect(json.code).toBe(0);
    const res = JSON.parse(json.out);
    expect(res.means).toHaveLength(1);
    expect(res.means[0]).toMatchObject({ set: 'Set5', scale: 2, images: 5, protocol: 'paper-y' });
    expect(Number.isFinite(res.means[0].psnr)).toBe(true);
    const csv = await capture(() => evalCommand.run(parseCommandArgs(evalCommand, [...args, '--csv'])));
    expect(csv.out.split('\n')[0]).toBe('protocol,runId,set,scale,image,psnr,ssim,images');
    await expect(evalCommand.run(parseCommandArgs(evalCommand, ['--model', dir, '--sets', 'Set5', '--scale', '3']))).rejects.toThrow(/--scale 3, but the model is x2/);
  });
});
