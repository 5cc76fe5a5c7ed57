/**
 * `openFinishedRun(cfg, runsDir)`: the finished run of exactly this config, opened without starting a worker pool.
 * `train()` already reopens a finished run with the same config hash, but it starts its pool first (seconds per
 * run on a loaded 2-core machine); a job that is run again only needs the saved EMA student. Null when there
 * is no such run, it is not complete, or it stopped at another step count (then `train()` extends or resumes it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runIdSuffix } from '../config/hash';
import type { TrainConfig } from '../config/train';
import { openRun, type Run, type RunResults } from '../train/run';

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
