/** A training run: its directory, config, the student with the EMA weights, and its results. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type TrainConfig, upgradeStoredConfig } from '../config/train';
import { loadModel } from '../io/model-file';
import type { SRNet } from '../models/types';
import type { RunId } from '../types';
import type { BestMetric } from './checkpoint';
import type { ValSetResult } from './validate';

export type ValRecord = { readonly step: number; readonly sets: readonly ValSetResult[] };

export interface RunResults {
  readonly runId: RunId;
  /** 'completed': totalSteps reached; 'stopped': the abort signal fired (a checkpoint was written first). */
  readonly status: 'completed' | 'stopped';
  readonly configHash: string;
  readonly formula: string;
  readonly step: number;
  readonly totalSteps: number;
  /** Terms of the last step. */
  readonly finalTerms: Readonly<Record<string, number>>;
  /** Validation results of this session and the earlier ones (from log.jsonl). */
  readonly val: readonly ValRecord[];
  readonly best: BestMetric | null;
  /** Training wall time over all sessions (seconds). */
  readonly elapsedSec: number;
  readonly workers: number;
  /** Final EMA student (kit model format), relative to the run dir; null until the run completes. */
  readonly model: string | null;
  /** Final raw (non-EMA) student, for BasicSR-style warm starts; absent in runs stored before it was kept, null without EMA. */
  readonly modelRaw?: string | null;
}

export class Run {
  private disposed = false;
  constructor(
    readonly id: RunId,
    readonly dir: string,
    readonly config: TrainConfig,
    /** The student with the EMA weights (raw weights when emaDecay is 0); owned by the run. */
    readonly student: SRNet,
    readonly results: RunResults,
  ) {}

  /** Disposes the student net. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.student.dispose();
  }
}

/** Opens a finished run directory (config.json, results.json, model/). The caller disposes the run. */
export function openRun(dir: string): Run {
  const d = path.resolve(dir);
  const need = (f: string): string => {
    const p = path.join(d, f);
    if (!fs.existsSync(p)) throw new Error(`run ${d}: ${f} is missing${f === 'model' ? ' (the run has not completed; evaluate a checkpoint with train resume)' : ''}`);
    return p;
  };
  const config = upgradeStoredConfig(JSON.parse(fs.readFileSync(need('config.json'), 'utf8')) as TrainConfig);
  const results = JSON.parse(fs.readFileSync(need('results.json'), 'utf8')) as RunResults;
  const { net } = loadModel(need(results.model ?? 'model'));
  return new Run(results.runId, d, config, net, results);
}
