/**
 * `srkd upscale`: runs a super-resolution model on an image or a folder of images, window by window for
 * large inputs (eval/tiled.ts), with a progress line on stderr. Outputs are quantised to 8-bit PNGs exactly
 * as the evaluation does (clamp, x255, round half to even).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Command } from '../command';
import { numberArg, stringArg, UsageError } from '../command';
import { initBackend } from '../../backend/index';
import { assertBackboneKernels } from '../../backend/kernel-check';
import { readImage, writePng } from '../../data/decode';
import { createImage, imageToTensor, quantizeUnit } from '../../data/image';
import { DEFAULT_OVERLAP, DEFAULT_TILE, defaultOverlap, planTiles, type upscaleTiledData } from '../../eval/tiled';
import { padMultiple, parseTestPad, type TestPad, testPadSize, upscaleWithPad } from '../../eval/test-pad';
import { inferArchFromCheckpoint, loadPretrained } from '../../io/pretrained';
import { loadModel, MODEL_JSON } from '../../io/model-file';
import { IMAGE_EXTENSIONS, listImages } from '../../metrics/score-folder';
import { buildModel } from '../../models/build';
import type { SRNet } from '../../models/types';
import { createProgress } from '../../util/progress';

export type LoadedSrModel = { net: SRNet; source: 'srkd-model' | 'pytorch'; file: string; description: string };

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Opens a model: the kit's own format (a directory holding model.json + weights.bin, or the model.json
 * itself; io/model-file.ts) or a PyTorch checkpoint (architecture read from the weights, strict load;
 * io/pretrained.ts). `key` picks the checkpoint's state dict ('params', 'params_ema', ...). The caller
 * disposes `net`.
 */
export async function loadSrModel(file: string, opts: { readonly key?: string } = {}): Promise<LoadedSrModel> {
  let dir: string | null = null;
  if (await isDirectory(file)) dir = file;
  else if (path.basename(file) === MODEL_JSON) dir = path.dirname(file);
  if (dir !== null) {
    const { net, meta } = loadModel(dir);
    return { net, source: 'srkd-model', file: dir, description: `${meta.arch.arch} x${meta.scale} (srkd model ${dir})` };
  }
  const inferred = inferArchFromCheckpoint(file, { key: opts.key });
  const net = buildModel(inferred.arch, inferred.scale);
  try {
    loadPretrained(net, file, { strict: true, key: opts.key });
  } catch (err) {
    net.dispose();
    throw err;
  }
  const guessed = inferred.guessed.length ? `, assumed ${inferred.guessed.join(', ')}` : '';
  return { net, source: 'pytorch', file, description: `${inferred.arch.arch} x${inferred.scale} (${inferred.layout} checkpoint ${file}${guessed})` };
}

/** Output name for an input file: a trailing LR tag `x<S>` is dropped, then `suffix` is added ('babyx4.png' -> 'baby_x4.png'). */
export function upscaledName(input: string, scale: number, suffix: string): string {
  const stem = path.basename(input, path.extname(input));
  const tag = `x${scale}`;
  const base = stem.length > tag.length && stem.toLowerCase().endsWith(tag) ? stem.slice(0, -tag.length) : stem;
  return `${base}${suffix}.png`;
}

export type UpscaledFile = {
  input: string;
  output: string;
  lr: [number, number];
  sr: [number, number];
  tiles: number;
  seconds: number;
};

/** Reads, upscales (tiled; `pad`: eval/test-pad.ts) and writes one image; `onTile` sees (done, total) windows. */
export async function upscaleFile(
  net: SRNet,
  input: string,
  output: string,
  opts: { readonly tile?: number; readonly overlap?: number; readonly pad?: TestPad; onTile?(done: number, total: number): void } = {},
): Promise<UpscaledFile> {
  const t0 = performance.now();
  const img = await readImage(input);
  const lr = imageToTensor(img);
  let out: Awaited<ReturnType<typeof upscaleTiledData>>;
  try {
    out = await upscaleWithPad(net, lr, opts.pad ?? 'reflect', opts);
  } finally {
    lr.dispose();
  }
  await writePng(output, createImage(out.height, out.width, quantizeUnit(out.data)));
  const tiles = planTiles(...testPadSize(img.height, img.width, opts.pad ?? 'reflect', net.arch), net.arch, opts).count;
  return {
    input, output, lr: [img.height, img.width], sr: [out.height, out.width], tiles, seconds: (performance.now() - t0) / 1000,
  };
}

export const upscaleCommand: Command = {
  name: 'upscale',
  summary: 'Super-resolve an image or a folder with a model (srkd model directory or PyTorch checkpoint), tiled',
  usage: [
    '--model FILE --scale S [--tile N] [--overlap N] [--pad reflect|flip] [--suffix TEXT] [--key NAME] [--json] IN OUT',
    '  --model FILE    srkd model directory (model.json + weights.bin) or a PyTorch checkpoint (.pth/.pt: EDSR, RCAN, SwinIR)',
    '  --scale S       upscaling factor; must be the model\'s',
    `  --tile N        network input window in LR pixels (default ${DEFAULT_TILE}; 0 = whole image; SwinIR: rounded to its window)`,
    `  --overlap N     context kept around each window, LR pixels (default ${DEFAULT_OVERLAP}, at most a quarter of the tile; see lib/eval/tiled.ts)`,
    "  --pad P         SwinIR test-time padding: reflect (default, BasicSR) | flip (SwinIR's main_test_swinir.py)",
    '  --suffix TEXT   added to each output name when OUT is a folder (default _x<S>; a trailing x<S> of the input name is dropped)',
    "  --key NAME      checkpoint entry holding the weights, e.g. params_ema (default: auto)",
    '  --json          print a JSON summary on stdout (progress stays on stderr)',
    '  IN              an image file or a folder of images',
    '  OUT             a .png file (single input) or a folder (created if needed)',
  ].join('\n'),
  options: {
    model: { type: 'string' },
    scale: { type: 'string' },
    tile: { type: 'string' },
    overlap: { type: 'string' },
    suffix: { type: 'string' },
    key: { type: 'string' },
    pad: { type: 'string' },
  },
  allowPositionals: true,
  async run(args) {
    const modelFile = stringArg(args, 'model');
    const scale = numberArg(args, 'scale');
    if (![2, 3, 4].includes(scale)) throw new UsageError(`--scale must be 2, 3 or 4 (got ${scale})`);
    const tile = numberArg(args, 'tile', DEFAULT_TILE);
    if (!Number.isInteger(tile) || tile < 0) throw new UsageError(`--tile must be a non-negative integer (got ${tile})`);
    const overlap = numberArg(args, 'overlap', defaultOverlap(tile));
    if (!Number.isInteger(overlap) || overlap < 0) throw new UsageError(`--overlap must be a non-negative integer (got ${overlap})`);
    if (tile > 0 && 2 * overlap >= tile) throw new UsageError(`--overlap must be less than half of --tile (tile ${tile}, overlap ${overlap})`);
    const suffix = stringArg(args, 'suffix', `_x${scale}`);
    let pad: TestPad;
    try {
      pad = parseTestPad(stringArg(args, 'pad', 'reflect'), '--pad');
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const key = typeof args.values.key === 'string' ? args.values.key : undefined;
    if (args.positionals.length !== 2) throw new UsageError(`expected IN and OUT (got ${args.positionals.length} positional argument(s))`);
    const [input, output] = args.positionals;
    const json = Boolean(args.values.json);

    const jobs: { input: string; output: string }[] = [];
    if (await isDirectory(input)) {
      if (output.toLowerCase().endsWith('.png')) throw new UsageError(`IN is a folder, so OUT must be a folder (got '${output}')`);
      const files = await listImages(input);
      if (files.length === 0) throw new UsageError(`no images (${IMAGE_EXTENSIONS.join(' ')}) in '${input}'`);
      for (const f of files) jobs.push({ input: path.join(input, f), output: path.join(output, upscaledName(f, scale, suffix)) });
    } else {
      try {
        await fs.access(input);
      } catch {
        throw new UsageError(`input '${input}' does not exist`);
      }
      const toFile = output.toLowerCase().endsWith('.png') && !(await isDirectory(output));
      jobs.push({ input, output: toFile ? output : path.join(output, upscaledName(input, scale, suffix)) });
    }

    await initBackend();
    const model = await loadSrModel(modelFile, { key });
    const done: UpscaledFile[] = [];
    try {
      if (model.net.scale !== scale) {
        throw new UsageError(`--scale ${scale} does not match the model, which is x${model.net.scale} (${model.description})`);
      }
      await assertBackboneKernels(model.net.arch, model.net.scale, { training: false }); // webgpu: fail before any image
      process.stderr.write(`srkd upscale: ${model.description}, ${pad} padding${padMultiple(model.net.arch) === null ? ' (no windows: none applied)' : ''}\n`);
      for (const [i, job] of jobs.entries()) {
        const label = jobs.length > 1 ? `[${i + 1}/${jobs.length}] ${path.basename(job.input)}` : path.basename(job.input);
        let bar: ReturnType<typeof createProgress> | null = null;
        const r = await upscaleFile(model.net, job.input, job.output, {
          tile, overlap, pad,
          onTile: (n, total) => {
            if (n === 0) bar = createProgress({ total, label, unit: 'tiles' });
            else bar?.tick(1);
            if (n === total) bar?.done();
          },
        });
        done.push(r);
        if (!json) process.stdout.write(`${r.input} (${r.lr[0]}x${r.lr[1]}) -> ${r.output} (${r.sr[0]}x${r.sr[1]}), ${r.tiles} tile${r.tiles === 1 ? '' : 's'}, ${r.seconds.toFixed(2)} s\n`);
      }
    } finally {
      model.net.dispose();
    }
    if (json) {
      process.stdout.write(JSON.stringify({ model: { file: model.file, source: model.source, arch: model.net.arch, scale }, tile, overlap, pad, files: done }, null, 2) + '\n');
    }
    return 0;
  },
};

export default upscaleCommand;
