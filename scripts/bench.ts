/**
 * `npm run bench [-- --json] [--cases edsr-train,student16-train,edsr-infer] [--repeats N] [--quick] [--workers N] [--no-torch] [--backend webgpu]`
 * Times the kit's training step and inference against PyTorch on the same cores (lib/bench).
 */
import { BACKEND_NAMES, type BackendName } from '../lib/backend/index';
import { BENCH_CASES, type BenchRow, formatBenchTable, METHOD_CASES, runBenchmarks } from '../lib/bench/index';

interface Args { json: boolean; cases?: string[]; repeats?: number; quick: boolean; workers?: number; torch: boolean; backend?: BackendName }

function usage(): never {
  process.stderr.write(
    'usage: npm run bench -- [--json] [--cases a,b] [--repeats N] [--quick] [--workers N] [--no-torch] [--backend webgpu]\n' +
      `cases: ${BENCH_CASES.join(', ')}, ${METHOD_CASES.join(', ')} (default on --backend webgpu: one paper-preset DUKD x4 iteration, one DCKD SwinIR x4 iteration with its VQGAN share)\n`,
  );
  process.exit(2);
}

function intArg(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < 1) {
    process.stderr.write(`${flag} needs an integer >= 1 (got ${v})\n`);
    usage();
  }
  return n;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { json: false, quick: false, torch: true };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--json': a.json = true; break;
      case '--quick': a.quick = true; break;
      case '--no-torch': a.torch = false; break;
      case '--cases': a.cases = (value() ?? '').split(',').filter(Boolean); break;
      case '--repeats': a.repeats = intArg('--repeats', value()); break;
      case '--workers': a.workers = intArg('--workers', value()); break;
      case '--backend': {
        const b = value();
        if (!(BACKEND_NAMES as readonly (string | undefined)[]).includes(b)) {
          process.stderr.write(`--backend must be one of ${BACKEND_NAMES.join(', ')} (got ${b})\n`);
          usage();
        }
        a.backend = b as BackendName;
        process.env.SRKD_BACKEND = b; // the worker pool and initBackend read it too
        break;
      }
      case '--help': case '-h': usage(); break;
      default: process.stderr.write(`unknown argument '${argv[i]}'\n`); usage();
    }
  }
  return a;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // --json writes each row when its case is done: a run cut short by a time limit keeps the rows it finished
  const onRow = args.json ? (r: BenchRow) => process.stdout.write(`${JSON.stringify(r)}\n`) : undefined;
  const rows = await runBenchmarks({ cases: args.cases, repeats: args.repeats, quick: args.quick, workers: args.workers, torch: args.torch, backend: args.backend, onRow });
  if (!args.json) process.stdout.write(`${formatBenchTable(rows)}\n\n(ratio = torch seconds / kit seconds, same cores, same run; timings on a shared machine are noisy)\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
