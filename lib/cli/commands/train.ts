/**
 * `srkd train --config FILE.json [--resume] [--workers N] [--steps N] [--student-init PATH] [--runs-dir DIR] [--run-dir DIR] [--json] [--quiet]`
 * Config files are JSON (optionally `"preset": "paper" | "quick" | "smoke"` as the base), validated with errors
 * that name the bad key and value. Ctrl-C stops after the current step and writes a checkpoint (twice: exit).
 */
import { ENGINE_CHOICES, type EngineChoice } from '../../train/step-engine';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from '../command';
import { numberArg, stringArg, UsageError } from '../command';
import { parseTrainConfig } from '../../config/resolve';
import { WARM_START_MODES, type WarmStartMode } from '../../config/train';
import { train } from '../../train/trainer';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a student (scratch, KD, FAKD, DUKD, AugKD, CSD, DCKD, FitNet, AT: srkd methods) from a JSON config; resumable',
  usage: [
    '--config FILE.json [--resume] [--workers N] [--engine E] [--steps N] [--student-init PATH [--student-init-mode M]] [--runs-dir DIR] [--run-dir DIR] [--json] [--quiet]',
    '  --config FILE    JSON config: a TrainConfig, or overrides of a preset ("preset": "paper" | "quick" | "smoke"; default paper)',
    '  --resume         continue the newest checkpoint of this config\'s run (without it, a run that has checkpoints is refused)',
    '  --workers N      data-parallel worker threads (default: config.workers, else one per core)',
    '  --engine E       auto | workers | in-process (default auto, or SRKD_ENGINE: in-process on a GPU backend,',
    '                   worker threads on wasm/cpu; a resume on another engine matches to float tolerance)',
    '  --steps N        total steps (overrides config.totalSteps; a finished run can be extended with --resume)',
    '  --student-init PATH  warm-start the student from a run dir, kit model dir or PyTorch checkpoint (sets config.studentInit;',
    '                   DUKD code: EDSR x4 students start from the x2 run of the same method)',
    '  --student-init-mode M  all-but-upsampler (default; the upsampler starts fresh) | all-matching (DUKD code)',
    '  --runs-dir DIR   where run directories go (default ./runs)',
    '  --run-dir DIR    use exactly this run directory',
    '  --json           one JSON progress event per line on stdout, then the results',
    '  --quiet          no progress line',
  ].join('\n'),
  options: {
    config: { type: 'string' }, resume: { type: 'boolean' }, workers: { type: 'string' }, engine: { type: 'string' }, steps: { type: 'string' },
    'student-init': { type: 'string' }, 'student-init-mode': { type: 'string' },
    'runs-dir': { type: 'string' }, 'run-dir': { type: 'string' }, quiet: { type: 'boolean' },
  },
  async run(args) {
    const engine = args.values.engine;
    if (engine !== undefined && !(ENGINE_CHOICES as readonly unknown[]).includes(engine)) {
      throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')} (got ${String(engine)})`);
    }
    const file = stringArg(args, 'config');
    if (!fs.existsSync(file)) throw new UsageError(`--config: ${file} does not exist`);
    let cfg = parseTrainConfig(fs.readFileSync(file, 'utf8'), undefined, file);
    const initPath = args.values['student-init'];
    const initMode = args.values['student-init-mode'];
    if (initMode !== undefined && initPath === undefined) throw new UsageError('--student-init-mode needs --student-init PATH');
    if (typeof initPath === 'string') {
      const mode = initMode ?? 'all-but-upsampler';
      if (!(WARM_START_MODES as readonly unknown[]).includes(mode)) {
        throw new UsageError(`--student-init-mode must be one of ${WARM_START_MODES.join(', ')} (got ${String(mode)})`);
      }
      cfg = { ...cfg, studentInit: { weights: path.resolve(initPath), mode: mode as WarmStartMode } };
    }
    const intArg = (key: string): number | undefined => {
      if (args.values[key] === undefined) return undefined;
      const n = numberArg(args, key);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${key} must be an integer >= 1 (got ${String(args.values[key])})`);
      return n;
    };
    const json = Boolean(args.values.json);
    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      process.stderr.write('\nsrkd train: stopping after this step (checkpoint follows); Ctrl-C again to quit at once\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const run = await train(cfg, {
        resume: args.values.resume ? 'latest' : 'none',
        workers: intArg('workers'),
        engine: engine as EngineChoice | undefined,
        totalSteps: intArg('steps'),
        runsDir: typeof args.values['runs-dir'] === 'string' ? path.resolve(args.values['runs-dir']) : undefined,
        runDir: typeof args.values['run-dir'] === 'string' ? path.resolve(args.values['run-dir']) : undefined,
        quiet: Boolean(args.values.quiet) || json,
        signal: controller.signal,
        onProgress: json ? (e) => process.stdout.write(JSON.stringify({ event: 'progress', ...e }) + '\n') : undefined,
        log: json ? (line) => process.stderr.write(`srkd: ${line}\n`) : undefined,
      });
      try {
        if (json) process.stdout.write(JSON.stringify({ event: 'results', dir: run.dir, ...run.results }) + '\n');
        else {
          const best = run.results.best ? `, best ${run.results.best.set} ${run.results.best.psnr.toFixed(3)} dB at step ${run.results.best.step}` : '';
          process.stdout.write(`${run.results.status} ${run.id} at step ${run.results.step}/${run.results.totalSteps}${best}\n  ${run.dir}\n`);
        }
        return run.results.status === 'completed' ? 0 : 130;
      } finally {
        run.dispose();
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
