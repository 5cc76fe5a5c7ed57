/**
 * Child process of webgpu-train.test.ts: a 3-step DUKD (as released: every random stream, two-step update)
 * training run on the in-process engine of whatever backend SRKD_BACKEND names, plus the same run stopped
 * after 2 steps and resumed. Prints one JSON line: per-step terms, final weights, tensor counts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../lib/backend/index';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import type { Run } from '../../lib/train/run';
import { train } from '../../lib/train/trainer';

async function main(): Promise<void> {
  const backend = await initBackend({ announce: false });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-webgpu-train-'));
  const cfg = resolveTrain({ totalSteps: 3, checkpointEverySteps: 2, evalEverySteps: 0, logEverySteps: 1, val: { sets: [] } },
    trainPreset('smoke', { method: 'dukd-release' }));
  const read = async (run: Run) => {
    const weights = await Promise.all(Array.from(run.student.params.values()).map(async (v) => Array.from(await v.data())));
    const log = fs.readFileSync(path.join(run.dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const train = log.filter((e) => e.event === 'train');
    return { terms: train.map((e) => e.terms), numTensors: train.map((e) => e.numTensors.main), weights };
  };
  try {
    const straight = await train(cfg, { runsDir: path.join(tmp, 'a'), resume: 'none', quiet: true, engine: 'in-process' });
    const a = await read(straight);
    straight.dispose();
    const part = await train(cfg, { runsDir: path.join(tmp, 'b'), resume: 'none', quiet: true, engine: 'in-process', totalSteps: 2 });
    part.dispose();
    const resumed = await train(cfg, { runsDir: path.join(tmp, 'b'), quiet: true, engine: 'in-process' });
    const b = await read(resumed);
    resumed.dispose();
    process.stdout.write(JSON.stringify({ backend: backend.name, straight: a, resumed: b }) + '\n');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
