/**
 * `srkd backend`: which TF.js backend this host gets and why (the adapter on webgpu; the faster backends passed
 * over, each with its reason), the training engine that backend implies, and with --check whether the backend
 * has every kernel each method needs on each backbone (lib/train/method-kernels.ts kernelCoverage).
 */
import { BACKEND_NAMES, type BackendName, initBackend } from '../../backend/index';
import { describeAdapterLimits } from '../../backend/webgpu';
import { kernelCoverage } from '../../train/method-kernels';
import { resolveEngine } from '../../train/step-engine';
import { formatTable } from '../../viz/table';
import type { Command } from '../command';
import { numberArg, stringArg, UsageError } from '../command';

export const backendCommand: Command = {
  name: 'backend',
  summary: 'Which TF.js backend runs here (GPU adapter, backends passed over and why), its training engine; --check: kernels per method and backbone',
  usage: [
    '[--backend tensorflow|webgpu|wasm|cpu] [--check [--scale 2|3|4]] [--json]',
    '  --backend B  force a backend (as SRKD_BACKEND=B does); default: auto-selection',
    '               (tensorflow > webgpu on a real GPU > wasm > cpu)',
    '  --check      record one training iteration of every method on each backbone\'s Table 1 pair (tiny copies,',
    '               on the cpu backend) and list the kernels this backend lacks; exit 1 if any is missing',
    '  --scale S    scale of --check (default 4)',
    '  --json       one JSON object',
  ].join('\n'),
  options: { backend: { type: 'string' }, check: { type: 'boolean' }, scale: { type: 'string' }, json: { type: 'boolean' } },
  async run(args) {
    const forced = stringArg(args, 'backend', '');
    if (forced && !(BACKEND_NAMES as readonly string[]).includes(forced)) {
      throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')} (got '${forced}')`);
    }
    const scale = numberArg(args, 'scale', 4);
    if (scale !== 2 && scale !== 3 && scale !== 4) throw new UsageError(`--scale must be 2, 3 or 4 (got ${scale})`);
    const info = await initBackend({ backend: forced ? (forced as BackendName) : undefined, announce: false });
    const engine = resolveEngine('auto', info.name);
    const coverage = args.values.check ? await kernelCoverage(scale) : null;
    const missing = coverage?.filter((r) => r.missing.length > 0) ?? [];
    if (args.values.json) {
      process.stdout.write(JSON.stringify({ ...info, engine, coverage: coverage && { scale, rows: coverage } }, null, 1) + '\n');
      return missing.length ? 1 : 0;
    }
    const a = info.adapter;
    const rows: { key: string; value: string }[] = [
      { key: 'backend', value: `${info.name} (${info.provider})` },
      { key: 'versions', value: Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(', ') },
      ...(a ? [
        { key: 'adapter', value: `${a.device}${a.software ? ' (software: correctness only, not a GPU)' : ''}` },
        { key: 'vendor', value: [a.vendor, a.architecture].filter(Boolean).join(' ') || '-' },
        { key: 'api', value: `${a.api === 'vulkan' ? 'Vulkan' : 'OpenGL'}, WebGPU ${a.featureLevel} level` },
        { key: 'driver', value: a.description || '-' },
        { key: 'limits', value: describeAdapterLimits(a) },
        { key: 'kit kernels', value: info.kitKernels.length ? `${info.kitKernels.join(', ')} (SRKD_WEBGPU_KIT_KERNELS=off: stock)` : 'none' },
      ] : [
        { key: 'threads', value: `${info.threads} per worker` },
        { key: 'kit kernels', value: info.kitKernels.length ? `${info.kitKernels.length}${info.simd ? ` (SIMD ${info.simd})` : ''}` : 'none' },
      ]),
      { key: 'training engine', value: engine === 'in-process' ? 'in-process (one device, batch uploaded once per step)' : 'workers (one worker thread per core, batch split)' },
      ...info.passedOver.map((p) => ({ key: 'passed over', value: p })),
      ...Object.entries(info.tfjsFlags).map(([k, v]) => ({ key: 'TF.js flag', value: `${k}=${v} (SRKD_TFJS_FLAGS)` })),
    ];
    const width = Math.max(...rows.map((r) => r.key.length));
    process.stdout.write(rows.map((r) => `${r.key.padEnd(width)}  ${r.value}`).join('\n') + '\n');
    if (coverage) {
      process.stdout.write(`\nKernels of one training iteration (paper preset, Table 1 pairs at x${scale}, tiny copies) that ${info.name} lacks:\n`);
      process.stdout.write(formatTable(coverage.map((r) => ({
        method: r.method, backbone: r.backbone, kernels: r.notApplicable ? '-' : String(r.kernels),
        missing: r.notApplicable ? `not applicable: ${r.notApplicable.split(' (')[0]}` : r.missing.length ? r.missing.join(', ') : 'none',
      }))) + '\n');
      process.stdout.write(missing.length ? `${missing.length} method/backbone pair(s) cannot train on ${info.name}\n` : `every method trains on ${info.name}\n`);
    }
    return missing.length ? 1 : 0;
  },
};

export default backendCommand;
