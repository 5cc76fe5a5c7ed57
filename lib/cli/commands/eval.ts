/**
 * `srkd eval --model DIR|RUN|FILE.pth --sets Set5,Set14 [--scale S] [--data ROOT] [--tile N] [--pad reflect|flip] [--json|--csv]`:
 * PSNR/SSIM (PAPER_Y) of a model on benchmark sets. DIR: a kit model directory; RUN: a finished run directory
 * (its EMA model); FILE: a PyTorch checkpoint (architecture inferred).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from '../command';
import { numberArg, stringArg, UsageError } from '../command';
import { initBackend } from '../../backend/index';
import { assertBackboneKernels } from '../../backend/kernel-check';
import { defaultDataRoot } from '../../data/data-root';
import { evaluate, toCsv } from '../../eval/evaluate';
import { describeProtocol, PAPER_Y } from '../../metrics/protocol';
import { loadSrModel } from './upscale';
import { parseTestPad, type TestPad } from '../../eval/test-pad';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'PSNR/SSIM (Y, BasicSR protocol) of a model or a finished run on benchmark sets',
  usage: [
    '--model DIR|RUN|FILE --sets Set5,Set14 [--scale S] [--data ROOT] [--tile N] [--pad reflect|flip] [--key K] [--json|--csv]',
    '  --model      a kit model directory, a finished run directory (uses its EMA model), or a PyTorch checkpoint',
    '  --sets       comma-separated benchmark names (Set5, Set14, B100, Urban100) or set folders',
    "  --scale S    the model's scale (checked; default: the model's)",
    '  --data ROOT  data root holding benchmark/<Set> (default: $SRKD_DATA or ./data)',
    '  --tile N     LR tile side for large images (default 0 = whole image, exact)',
    "  --pad P      SwinIR test-time padding: reflect (default, BasicSR) | flip (SwinIR's main_test_swinir.py)",
    "  --key K      PyTorch checkpoint state-dict key ('params', 'params_ema', ...)",
    '  --json / --csv  machine-readable output (per image and per set mean)',
  ].join('\n'),
  options: {
    model: { type: 'string' }, sets: { type: 'string' }, scale: { type: 'string' }, data: { type: 'string' },
    tile: { type: 'string' }, key: { type: 'string' }, csv: { type: 'boolean' }, pad: { type: 'string' },
  },
  async run(args) {
    const modelArg = path.resolve(stringArg(args, 'model'));
    const sets = stringArg(args, 'sets').split(',').map((s) => s.trim()).filter(Boolean);
    if (sets.length === 0) throw new UsageError('--sets needs at least one set name');
    if (args.values.json && args.values.csv) throw new UsageError('--json and --csv are exclusive');
    let pad: TestPad;
    try {
      pad = parseTestPad(stringArg(args, 'pad', 'reflect'), '--pad');
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    await initBackend({ announce: !args.values.json && !args.values.csv });
    let modelPath = modelArg;
    let runId: string | undefined;
    if (fs.existsSync(path.join(modelArg, 'results.json')) && fs.existsSync(path.join(modelArg, 'model'))) {
      modelPath = path.join(modelArg, 'model');
      runId = path.basename(modelArg);
    } else if (fs.existsSync(path.join(modelArg, 'config.json')) && fs.existsSync(path.join(modelArg, 'ckpt'))) {
      throw new UsageError(`${modelArg} is a run that has not completed (no model/); finish it with 'srkd train --resume'`);
    }
    const loaded = await loadSrModel(modelPath, { key: typeof args.values.key === 'string' ? args.values.key : undefined });
    try {
      const scale = args.values.scale === undefined ? loaded.net.scale : numberArg(args, 'scale');
      if (scale !== loaded.net.scale) throw new UsageError(`--scale ${scale}, but the model is x${loaded.net.scale} (${loaded.description})`);
      await assertBackboneKernels(loaded.net.arch, loaded.net.scale, { training: false }); // webgpu: fail before any image
      const tile = args.values.tile === undefined ? 0 : numberArg(args, 'tile');
      const result = await evaluate(loaded.net, {
        sets, scale: loaded.net.scale, root: typeof args.values.data === 'string' ? path.resolve(args.values.data) : defaultDataRoot(),
        protocol: PAPER_Y, tile, runId, pad,
      });
      if (args.values.json) process.stdout.write(JSON.stringify({ model: loaded.description, ...result }, null, 2) + '\n');
      else if (args.values.csv) process.stdout.write(toCsv(result));
      else {
        const lines = [`${loaded.description}`, describeProtocol(PAPER_Y), ...result.means.map((m) =>
          `  ${m.set.padEnd(10)} x${m.scale}  PSNR ${m.psnr.toFixed(3)} dB  SSIM ${m.ssim.toFixed(4)}  (${m.images} images, ${m.protocol})`)];
        process.stdout.write(lines.join('\n') + '\n');
      }
      return 0;
    } finally {
      loaded.net.dispose();
    }
  },
};
