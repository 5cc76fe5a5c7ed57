/**
 * Child process of webgpu-methods.test.ts: 3-step train() runs of CSD (the smoke EDSR pair, batch 4 as
 * test/distill/csd.test.ts trains it) and DCKD (the smoke preset's seeded random fixture-sized VQGAN, 3
 * negatives, the history updated every step) on the in-process engine of whatever backend SRKD_BACKEND names.
 * Prints one JSON line: per method the per-step terms, tensor and GPU buffer counts, final weights, (webgpu) the
 * kernels one iteration needs and those the backend lacks, and seconds.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/index';
import { missingKernels } from '../../lib/backend/kernel-check';
import { gpuBufferCounts } from '../../lib/backend/webgpu';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import type { TrainConfig } from '../../lib/config/train';
import { methodKernels } from '../../lib/train/method-kernels';
import { train } from '../../lib/train/trainer';

const RUN = { totalSteps: 3, checkpointEverySteps: 3, evalEverySteps: 0, logEverySteps: 1, val: { sets: [] } };

const CONFIGS: Record<string, TrainConfig> = {
  csd: resolveTrain({ ...RUN, data: { batchSize: 4 } }, trainPreset('smoke', { method: 'csd', totalSteps: 3 })),
  // findWeights: never a VQGAN file found on this machine, always the seeded random fixture-sized one
  dckd: resolveTrain(RUN, trainPreset('smoke', { method: 'dckd', totalSteps: 3, methodOverride: { negatives: 3 }, findWeights: () => null })),
};

async function main(): Promise<void> {
  const backend = await initBackend({ announce: false });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-webgpu-methods-'));
  const out: Record<string, unknown> = {};
  try {
    for (const [name, cfg] of Object.entries(CONFIGS)) {
      const t0 = performance.now();
      // the start-up check train() runs on webgpu, here with its list (the cpu reference has every kernel)
      const kernels = backend.name === 'webgpu' ? await methodKernels(cfg) : [];
      const missing = missingKernels(kernels, backend.name);
      const t1 = performance.now();
      const gpuBuffersUsed: number[] = [];
      const run = await train(cfg, {
        runsDir: path.join(tmp, name), resume: 'none', quiet: true, engine: 'in-process',
        onProgress: () => gpuBuffersUsed.push(gpuBufferCounts()?.used ?? -1),
      });
      try {
        const log = fs.readFileSync(path.join(run.dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        const steps = log.filter((e) => e.event === 'train');
        const weights = await Promise.all(Array.from(run.student.params.values()).map(async (v) => Array.from(await v.data())));
        out[name] = {
          terms: steps.map((e) => e.terms), numTensors: steps.map((e) => e.numTensors.main), gpuBuffersUsed, weights,
          notes: log.find((e) => e.event === 'start')?.notes ?? [], kernels, missing,
          seconds: { kernels: (t1 - t0) / 1000, train: (performance.now() - t1) / 1000 },
        };
      } finally {
        run.dispose();
      }
    }
    process.stdout.write(JSON.stringify({ backend: backend.name, backendAfter: tf.getBackend(), methods: out }) + '\n');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
