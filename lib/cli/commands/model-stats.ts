/**
 * `srkd model-stats`: DUKD Table 1 (params, FLOPs for a 3x256x256 LR input) recomputed by the kit's analytic
 * counter (lib/models/complexity.ts, fvcore convention = multiply-accumulates) beside the paper's numbers
 * (lib/models/zoo.ts), optionally with a measured forward-pass rate on the current backend.
 *
 * FPS is measured on a small LR input (default 16x16, option --fps-size) so that the whole table takes
 * seconds, not minutes: one warm-up forward, then timed forwards until 300 ms have passed (at most 10).
 * It is a relative speed on this backend, not the paper's GPU setting.
 */
import type { Command } from '../command';
import { numberArg, stringArg, UsageError } from '../command';
import { initBackend } from '../../backend/index';
import { buildModel } from '../../models/build';
import { countParams } from '../../models/complexity';
import { formatModelStats, measureFps, modelStatsRows, TABLE1_MODELS, type ModelStatsRow } from '../../models/table1';
import type { ArchConfig, SRNet } from '../../models/types';
import { ZOO, ZOO_NAMES, type ZooName } from '../../models/zoo';
import type { Scale } from '../../types';

function parseModels(v: string): ZooName[] {
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(ZOO_NAMES as readonly string[]).includes(n)) throw new UsageError(`unknown model '${n}'; known: ${ZOO_NAMES.join(', ')}`);
  }
  return names as ZooName[];
}

export const modelStatsCommand: Command = {
  name: 'model-stats',
  summary: 'DUKD Table 1: parameters and FLOPs of the teachers and students beside the paper (optionally FPS)',
  usage: [
    '[--scale 4] [--all | --models a,b] [--fps [--fps-size 16]] [--json]',
    '  --scale S       2, 3 or 4 (default 4; the paper lists x4)',
    '  --all           every model in the zoo, not just the six Table 1 networks',
    '  --models LIST   comma-separated zoo names',
    '  --fps           also build each network and measure forward passes per second on this backend',
    '  --fps-size N    LR input side for --fps (default 16; small so the measurement is quick)',
    '  --json          machine-readable rows',
  ].join('\n'),
  options: {
    scale: { type: 'string' }, all: { type: 'boolean' }, models: { type: 'string' }, fps: { type: 'boolean' }, 'fps-size': { type: 'string' },
  },
  async run(args) {
    const scale = numberArg(args, 'scale', 4);
    if (scale !== 2 && scale !== 3 && scale !== 4) throw new UsageError(`--scale must be 2, 3 or 4 (got ${scale})`);
    const names = args.values.models !== undefined ? parseModels(stringArg(args, 'models'))
      : args.values.all ? ZOO_NAMES : TABLE1_MODELS;
    let rows = modelStatsRows(scale, names);
    let backend: string | undefined;
    if (args.values.fps) {
      const size = numberArg(args, 'fps-size', 16);
      if (!Number.isInteger(size) || size < 1) throw new UsageError(`--fps-size must be a positive integer (got ${size})`);
      backend = (await initBackend({ announce: !args.values.json })).name;
      const measured: ModelStatsRow[] = [];
      for (const r of rows) {
        if (!args.values.json) process.stderr.write(`measuring ${r.name} ...\n`);
        const net = buildModel(r.arch, scale);
        try {
          if (countParams(net) !== r.params) throw new Error(`${r.name}: built net has ${countParams(net)} parameters, analytic count ${r.params}`);
          measured.push({ ...r, fps: await measureFps(net, size) });
        } finally {
          net.dispose();
        }
      }
      rows = measured;
    }
    if (args.values.json) process.stdout.write(JSON.stringify({ scale, input: '1x3x256x256', backend: backend ?? null, rows }, null, 2) + '\n');
    else process.stdout.write(formatModelStats(rows, { backend }));
    return 0;
  },
};

export default modelStatsCommand;
