/**
 * `openFinishedRun(cfg, runsDir)`: the finished run of exactly this config, opened without starting a worker pool.
 * `train()` already reopens a finished run with the same config hash, but it starts its pool first (seconds per
 * run on a loaded 2-core machine); a job that is run again only needs the saved EMA student. Null when there
 * is no such run, it is not complete, or it stopped at another step count (then `train()` extends or resumes it).
 *
 * `finishedOrTrain(cfg, options)`: that run, else `train()`; when another process is training the same run
 * (side-by-side jobs sharing a teacher), waits for it to finish and takes its result (or resumes what it left).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runIdSuffix } from '../config/hash';
import type { TrainConfig } from '../config/train';
import { RunLockedError, waitForRunLock } from '../train/run-lock';
import { openRun, type Run, type RunResults } from '../train/run';
import { train, type TrainOptions } from '../train/trainer';

export function openFinishedRun(cfg: TrainConfig, runsDir: string): Run | null {
  if (!fs.existsSync(runsDir)) return null;
  const suffix = `-${runIdSuffix(cfg)}`;
  const hits = fs.readdirSync(runsDir).filter((n) => n.endsWith(suffix)).sort();
  if (hits.length === 0) return null;
  const dir = path.join(runsDir, hits[hits.length - 1]); // the newest, as train() picks it
  const file = path.join(dir, 'results.json');
  if (!fs.existsSync(file)) return null;
  let results: RunResults;
  try {
    results = JSON.parse(fs.readFileSync(file, 'utf8')) as RunResults;
  } catch {
    return null;
  }
  if (results.status !== 'completed' || results.model === null || results.step !== cfg.totalSteps) return null;
  if (!fs.existsSync(path.join(dir, results.model, 'model.json'))) return null;
  return openRun(dir);
}

/** The finished run of `cfg` under `options.runsDir`, else trained; waits (polling) while another process holds it. */
export async function finishedOrTrain(cfg: TrainConfig, options: TrainOptions & { readonly pollMs?: number }): Promise<Run> {
  const runsDir = path.resolve(options.runsDir ?? 'runs');
  for (;;) {
    const done = openFinishedRun(cfg, runsDir);
    if (done) return done;
    try {
      return await train(cfg, { ...options, runsDir });
    } catch (e) {
      if (!(e instanceof RunLockedError)) throw e;
      options.log?.(`waiting: ${e.message}`);
      await waitForRunLock(e.dir, { pollMs: options.pollMs, signal: options.signal });
    }
  }
}
