import type { Command } from '../command';
import { numberArg, stringArg, UsageError } from '../command';
import { PAPER_Y, describeProtocol } from '../../metrics/protocol';
import { scoreFolder, type FolderScore } from '../../metrics/score-folder';

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** The human-readable table: protocol id in the title, one row per image, then the mean. */
export function formatScoreTable(s: FolderScore, srDir: string, hrDir: string): string {
  const width = Math.max(5, ...s.rows.map((r) => r.image.length));
  const line = (name: string, psnr: string, ssim: string): string => `${name.padEnd(width)}  ${psnr.padStart(10)}  ${ssim.padStart(8)}`;
  const out = [
    `PSNR / SSIM [${s.protocol}] x${s.scale}: ${s.rows.length} image${s.rows.length === 1 ? '' : 's'}, SR ${srDir} vs HR ${hrDir}`,
    line('image', 'PSNR (dB)', 'SSIM'),
    ...s.rows.map((r) => line(r.image, fmt(r.psnr, 6), fmt(r.ssim, 6))),
    line('mean', fmt(s.mean.psnr, 6), fmt(s.mean.ssim, 6)),
  ];
  if (s.unmatchedSr.length) out.push(`SR files with no HR match (skipped): ${s.unmatchedSr.join(', ')}`);
  if (s.missingSr.length) out.push(`HR images with no SR file (not in the mean): ${s.missingSr.join(', ')}`);
  return out.join('\n') + '\n';
}

export const metricsCommand: Command = {
  name: 'metrics',
  summary: `Y-PSNR / Y-SSIM of a folder of SR outputs against HR images (${describeProtocol(PAPER_Y)})`,
  usage: [
    '--sr DIR --hr DIR --scale S [--json]',
    '  --sr DIR      super-resolved images; names may carry suffixes (baby_RCAN_x4.png, babyx4.png, baby_SR.png)',
    '  --hr DIR      ground-truth images; mod-cropped to the scale before scoring',
    '  --scale S     upscaling factor (also the border crop)',
    '  --json        print the per-image rows and the mean as JSON',
  ].join('\n'),
  options: { sr: { type: 'string' }, hr: { type: 'string' }, scale: { type: 'string' } },
  async run(args) {
    const srDir = stringArg(args, 'sr');
    const hrDir = stringArg(args, 'hr');
    const scale = numberArg(args, 'scale');
    if (!Number.isInteger(scale) || scale < 1) throw new UsageError(`--scale must be a positive integer (got ${scale})`);
    const score = await scoreFolder({ srDir, hrDir, scale, protocol: PAPER_Y });
    if (args.values.json) process.stdout.write(JSON.stringify(score, null, 2) + '\n');
    else process.stdout.write(formatScoreTable(score, srDir, hrDir));
    return 0;
  },
};

export default metricsCommand;
