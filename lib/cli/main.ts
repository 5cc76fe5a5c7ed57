import { parseCommandArgs, UsageError, type Command } from './command';

/**
 * Every subcommand, in `srkd --help` order. Add a command: one file in ./commands and one line here.
 * Modules load only when their command runs, so `srkd --help` does not pay for tfjs or sharp.
 */
interface Entry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Command;
}
const COMMANDS: readonly Entry[] = [
  { name: 'train', summary: 'train a student (scratch, KD, FAKD, DUKD, AugKD, CSD, DCKD, FitNet, AT: srkd methods) from a JSON config; resumable', load: () => require('./commands/train').trainCommand },
  { name: 'backend', summary: 'which TF.js backend runs here (GPU adapter, backends passed over and why); --check: kernels per method', load: () => require('./commands/backend').backendCommand },
  { name: 'methods', summary: 'list the distillation methods: teacher, batch coupling, default objective per backbone', load: () => require('./commands/methods').methodsCommand },
  { name: 'eval', summary: 'PSNR/SSIM (Y, BasicSR protocol) of a model or a finished run on benchmark sets', load: () => require('./commands/eval').evalCommand },
  { name: 'data', summary: 'download datasets (DIV2K, benchmarks) and check a data root', load: () => require('./commands/data').dataCommand },
  { name: 'resize', summary: 'make LR images with the MATLAB-exact bicubic resize', load: () => require('./commands/resize').resizeCommand },
  { name: 'model-stats', summary: 'DUKD Table 1: parameters, GMACs and FPS of the teachers and students', load: () => require('./commands/model-stats').modelStatsCommand },
  { name: 'weights', summary: 'list or download the official checkpoints (EDSR, RCAN, SwinIR teachers; VGG-19, VQGAN feature networks; CSD models)', load: () => require('./commands/weights').weightsCommand },
  { name: 'upscale', summary: 'super-resolve an image or a folder with a model (kit format or PyTorch checkpoint)', load: () => require('./commands/upscale').upscaleCommand },
  { name: 'metrics', summary: 'PSNR/SSIM (Y, BasicSR protocol) of SR images against HR images', load: () => require('./commands/metrics').metricsCommand },
  { name: 'reproduce', summary: 'reproduce a DUKD table (ablation: Table 4, main: Table 2, heterogeneous: Table 3) or DCKD\'s (dckd: Tables 2, 5, Fig. 8) with a report', load: () => require('./commands/reproduce').reproduceCommand },
  { name: 'sweep', summary: 'run a reproduction job as a Slurm array (one task per row x seed) plus a report job', load: () => require('./commands/sweep').sweepCommand },
];

function printHelp(all: readonly Entry[]): void {
  const width = Math.max(8, ...all.map((c) => c.name.length));
  const lines = all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  process.stdout.write(
    `srkd: knowledge distillation for image super-resolution\n\nUsage: srkd <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n` +
      `Run 'srkd <command> --help' for a command's options. Most commands accept --json.\n`,
  );
}

export async function main(argv: string[]): Promise<number> {
  const all = COMMANDS;
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    printHelp(all);
    return name ? 0 : 2;
  }
  const entry = all.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`srkd: unknown command '${name}'. Run 'srkd --help' for the list.\n`);
    return 2;
  }
  const cmd = entry.load();
  try {
    const args = parseCommandArgs(cmd, rest);
    if (args.values.help) {
      process.stdout.write(`Usage: srkd ${cmd.name} ${cmd.usage}\n\n${cmd.summary}\n`);
      return 0;
    }
    return await cmd.run(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`srkd ${cmd.name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
