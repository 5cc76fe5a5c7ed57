import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Command } from '../command';
import { numberArg, stringArg, UsageError } from '../command';
import { imresizeUint8, modCrop } from '../../data/bicubic';
import { readImage, writePng } from '../../data/decode';
import { IMAGE_EXTENSIONS, listImages } from '../../metrics/score-folder';

export type ResizedFile = { input: string; output: string; hr: [number, number]; lr: [number, number] };

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** HR file -> mod-crop -> MATLAB uint8 bicubic by 1/scale -> PNG. */
export async function makeLr(input: string, output: string, scale: number): Promise<ResizedFile> {
  const hr = await readImage(input);
  const lr = imresizeUint8(modCrop(hr, scale), 1 / scale);
  await writePng(output, lr);
  return { input, output, hr: [hr.height, hr.width], lr: [lr.height, lr.width] };
}

export const resizeCommand: Command = {
  name: 'resize',
  summary: 'Make LR images from HR: mod-crop, then MATLAB-exact bicubic downscale (uint8, antialiased)',
  usage: [
    '--scale S [--suffix TEXT] [--json] IN OUT',
    '  --scale S       downscale factor (integer; 4 makes 1/4-size LR images)',
    '  --suffix TEXT   appended to each output name when OUT is a folder (default x<S>, as LR_bicubic/X4/babyx4.png)',
    '  IN              an image file or a folder of images',
    '  OUT             a .png file (single input) or a folder (created if needed)',
  ].join('\n'),
  options: { scale: { type: 'string' }, suffix: { type: 'string' } },
  allowPositionals: true,
  async run(args) {
    const scale = numberArg(args, 'scale');
    if (!Number.isInteger(scale) || scale < 1) throw new UsageError(`--scale must be a positive integer (got ${scale})`);
    const suffix = stringArg(args, 'suffix', `x${scale}`);
    if (args.positionals.length !== 2) throw new UsageError(`expected IN and OUT (got ${args.positionals.length} positional argument(s))`);
    const [input, output] = args.positionals;
    const jobs: { input: string; output: string }[] = [];
    const outName = (file: string): string => `${path.basename(file, path.extname(file))}${suffix}.png`;
    if (await isDirectory(input)) {
      if (output.toLowerCase().endsWith('.png')) throw new UsageError(`IN is a folder, so OUT must be a folder (got '${output}')`);
      const files = await listImages(input);
      if (files.length === 0) throw new UsageError(`no images (${IMAGE_EXTENSIONS.join(' ')}) in '${input}'`);
      for (const f of files) jobs.push({ input: path.join(input, f), output: path.join(output, outName(f)) });
    } else {
      const toFile = output.toLowerCase().endsWith('.png') && !(await isDirectory(output));
      jobs.push({ input, output: toFile ? output : path.join(output, outName(input)) });
    }
    const done: ResizedFile[] = [];
    for (const j of jobs) done.push(await makeLr(j.input, j.output, scale));
    if (args.values.json) {
      process.stdout.write(JSON.stringify({ scale, method: 'matlab-bicubic-uint8', files: done }, null, 2) + '\n');
    } else {
      for (const d of done) process.stdout.write(`${d.input} (${d.hr[0]}x${d.hr[1]}) -> ${d.output} (${d.lr[0]}x${d.lr[1]})\n`);
      process.stdout.write(`resized ${done.length} image${done.length === 1 ? '' : 's'} by 1/${scale} (mod-crop, MATLAB bicubic, uint8)\n`);
    }
    return 0;
  },
};

export default resizeCommand;
