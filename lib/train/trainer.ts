/**
 * `train(config, options)`: the one training entry point for the CLI, scripts and notebooks (STYLE.md 5).
 *
 * - Data-parallel over worker threads (lib/parallel): each worker builds student + frozen teacher + method from
 *   the config (distill-task.ts); the teacher work and the loss terms run there. 1 worker gives the same numbers
 *   as N up to float tolerance; the same worker count gives bit-identical runs.
 * - Adam (config.optim), MultiStep schedule (schedule.ts), student EMA kept in the workers (spec 8.3);
 *   DUKD's 'twoStepAccumulate' runs the method's term groups as phases of one step (spec 7.5).
 * - Run directory `runs/<yyyymmdd>-<method>-<arch>x<scale>-<hash8>/`: config.json, env.json, log.jsonl (every
 *   term, lr, steps/s, live tensor counts main + workers), ckpt/step-<n>/ (checkpoint.ts), results.json and,
 *   once complete, model/ (the EMA student in the kit's model format).
 * - Validation every `evalEverySteps` and at the end, with the EMA weights, on `val.sets` (validate.ts).
 * - `resume: 'latest'` (default) continues the newest checkpoint of the run with the same config hash; the
 *   resumed trajectory equals the uninterrupted one bit for bit. A run directory whose config differs in a
 *   trajectory key is refused, naming the keys. A non-finite loss stops the run with an error naming the step
 *   and the term; the last good checkpoint is left intact. The abort signal stops after the current step,
 *   writes a checkpoint and resolves with `results.status === 'stopped'`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { diffConfigs, formatChanges } from '../config/diff';
import { configHash, runId as makeRunId, runIdSuffix, trajectoryPart } from '../config/hash';
import { assertTrainConfig } from '../config/resolve';
import { type StudentInitConfig, type TrainConfig, upgradeStoredConfig } from '../config/train';
import { acquireRunLock } from './run-lock';
import { formatWarmStart, warmStartStudent } from './warm-start';
import { describeBackend, initBackend } from '../backend/index';
import { BatchStream } from '../data/batches';
import { defaultDataRoot, openDataset, type Dataset } from '../data/datasets';
import { buildMethod } from '../distill/methods';
import { describeFormula } from '../distill/methods';
import { saveModel } from '../io/model-file';
import { buildModel } from '../models/build';
import type { SRNet } from '../models/types';
import { DataParallelTrainer, type StepResult } from '../parallel/data-parallel';
import { type BestMetric, type Checkpoint, checkpointDir, latestCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoint';
import type { DistillStepContext, DistillTaskConfig } from './distill-task';
import { resolveWeightsSource } from '../io/weights-source';
import { terminalProgress, type TrainProgressEvent } from './progress';
import { Run, type RunResults, type ValRecord } from './run';
import { learningRateAt } from './schedule';
import { checkValSets, validate, type ValSetResult } from './validate';

export type { TrainProgressEvent } from './progress';

export interface TrainOptions {
  /** Called every `logEverySteps` steps (and after the last). */
  onProgress?(e: TrainProgressEvent): void;
  /** Stops after the current step; a checkpoint is written and the run resolves with status 'stopped'. */
  readonly signal?: AbortSignal;
  /** 'latest' (default): continue the newest checkpoint of this config's run; 'none': start fresh (refuses a run dir that has checkpoints). */
  readonly resume?: 'latest' | 'none';
  /** Where run directories go (default 'runs' under the current directory). */
  readonly runsDir?: string;
  /** Use exactly this run directory (instead of runsDir/<run id>). */
  readonly runDir?: string;
  /** Worker threads (overrides config.workers; default one per core, at most the batch size). */
  readonly workers?: number;
  /** Overrides config.totalSteps (not part of the config hash, so a run can be extended). */
  readonly totalSteps?: number;
  /** No terminal progress line and no formula/banner lines on stderr. */
  readonly quiet?: boolean;
  /** Extra stderr lines (formula, resume, validation) go here instead (default process.stderr unless quiet). */
  log?(line: string): void;
}

const TASK_MODULE = path.join(__dirname, 'distill-task.ts');

function openTrainDataset(cfg: TrainConfig): Dataset {
  const limit = cfg.data.limit ?? undefined;
  if (cfg.data.kind === 'synthetic') return openDataset({ kind: 'synthetic', scale: cfg.scale, split: 'train', limit });
  return openDataset({ kind: cfg.data.kind, root: cfg.data.root ?? defaultDataRoot(), scale: cfg.scale, split: 'train', limit });
}

function readJsonl(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut short by a kill; dropped
    }
  }
  return out;
}

/** Keeps the log lines up to `step` (what a resume from that checkpoint repeats is dropped). */
function trimLog(file: string, step: number): Record<string, unknown>[] {
  const kept = readJsonl(file).filter((e) => typeof e.step !== 'number' || (e.step as number) <= step || e.event === 'start');
  fs.writeFileSync(file, kept.map((e) => JSON.stringify(e)).join('\n') + (kept.length ? '\n' : ''));
  return kept;
}

/** Finds this config's run directory: the newest `*-<method>-<arch>x<scale>-<hash8>` under runsDir. */
function findRunDir(runsDir: string, cfg: TrainConfig): string | null {
  if (!fs.existsSync(runsDir)) return null;
  const suffix = `-${runIdSuffix(cfg)}`;
  const hits = fs.readdirSync(runsDir).filter((n) => n.endsWith(suffix) && fs.statSync(path.join(runsDir, n)).isDirectory()).sort();
  return hits.length ? path.join(runsDir, hits[hits.length - 1]) : null;
}

function nonFinite(err: Error): { term: string; value: string } | null {
  const m = /non-finite loss term '([^']+)' = (\S+)/.exec(err.message);
  if (m) return { term: m[1], value: m[2] };
  if (/non-finite gradient/.test(err.message)) return { term: '(gradient)', value: 'non-finite' };
  return null;
}

function setNetWeights(net: SRNet, weights: readonly Float32Array[]): void {
  const vars = Array.from(net.params.values());
  if (vars.length !== weights.length) throw new Error(`student has ${vars.length} parameters, the pool ${weights.length}`);
  vars.forEach((v, i) => {
    if (v.size !== weights[i].length) throw new Error(`student parameter ${i} has ${v.size} values, the pool's ${weights[i].length}`);
    tf.tidy(() => v.assign(tf.tensor(weights[i], v.shape, 'float32')));
  });
}

/**
 * Trains (or continues) the run of `config`. See the file comment. The run directory is locked for the
 * duration (run-lock.ts): a second process (or call) on the same run gets a RunLockedError naming the holder.
 */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<Run> {
  const given = JSON.parse(JSON.stringify(config)) as TrainConfig;
  assertTrainConfig(given);
  const runsDir = path.resolve(options.runsDir ?? 'runs');
  const resume = options.resume ?? 'latest';
  const dir = options.runDir
    ? path.resolve(options.runDir)
    : (resume === 'latest' ? findRunDir(runsDir, given) : null) ?? path.join(runsDir, makeRunId(given));
  const unlock = acquireRunLock(dir);
  try {
    return await trainLocked(config, { ...options, runDir: dir });
  } finally {
    unlock();
  }
}

async function trainLocked(config: TrainConfig, options: TrainOptions): Promise<Run> {
  const given = JSON.parse(JSON.stringify(config)) as TrainConfig; // `config` is never written; a JSON copy
  assertTrainConfig(given);
  const totalSteps = options.totalSteps ?? given.totalSteps;
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`totalSteps must be an integer >= 1 (got ${totalSteps})`);
  const cfg: TrainConfig = { ...given, totalSteps }; // the effective config (totalSteps is outside the hash)
  const quiet = options.quiet ?? false;
  const say = (line: string): void => {
    if (options.log) options.log(line);
    else if (!quiet) process.stderr.write(`srkd: ${line}\n`);
  };
  const hash = configHash(cfg);
  const method = buildMethod(cfg.method);
  const groups = method.termGroups.length;
  const formula = describeFormula(cfg.method);

  // --- run directory and resume ---------------------------------------------------------------------------
  const resume = options.resume ?? 'latest';
  const runsDir = path.resolve(options.runsDir ?? 'runs');
  let dir: string;
  if (options.runDir) dir = path.resolve(options.runDir);
  else dir = (resume === 'latest' ? findRunDir(runsDir, cfg) : null) ?? path.join(runsDir, makeRunId(cfg));
  const id = path.basename(dir);
  const logFile = path.join(dir, 'log.jsonl');
  let ckpt: Checkpoint | null = fs.existsSync(dir) ? latestCheckpoint(dir) : null;
  if (ckpt && resume === 'none') {
    throw new Error(`run directory ${dir} already has checkpoints (newest: step ${ckpt.state.step}); pass resume: 'latest' (CLI --resume) to continue it, or remove it`);
  }
  const previous = ckpt?.config ??
    (fs.existsSync(path.join(dir, 'config.json')) ? upgradeStoredConfig(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as TrainConfig) : null);
  if (previous) {
    const changed = diffConfigs(trajectoryPart(previous), trajectoryPart(cfg));
    if (changed.length > 0) {
      throw new Error(`run directory ${dir} was made with another config; refusing to ${ckpt ? 'resume' : 'reuse'} it. Changed: ${formatChanges(changed)}`);
    }
    const other = diffConfigs(previous, cfg);
    if (ckpt && other.length > 0) say(`resuming with changed bookkeeping keys: ${formatChanges(other)}`);
  }
  const startStep = ckpt?.state.step ?? 0;
  fs.mkdirSync(dir, { recursive: true });
  let pastVal: ValRecord[] = [];
  if (ckpt) {
    pastVal = trimLog(logFile, startStep)
      .filter((e) => e.event === 'val')
      .map((e) => ({ step: e.step as number, sets: e.sets as ValSetResult[] }));
  } else if (fs.existsSync(logFile)) {
    fs.rmSync(logFile); // a fresh start in a directory that never got a checkpoint
  }
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 1) + '\n');
  const logLine = (e: Record<string, unknown>): void => fs.appendFileSync(logFile, JSON.stringify({ ...e, time: new Date().toISOString() }) + '\n');

  // --- compute -----------------------------------------------------------------------------------------------
  const backend = await initBackend({ announce: !quiet });
  const workers = Math.min(options.workers ?? cfg.workers ?? os.availableParallelism(), cfg.data.batchSize);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be an integer >= 1 (got ${workers})`);
  if (method.requiresTeacher && cfg.teacherWeights === null) say('warning: teacherWeights is null, the teacher keeps its random initialisation (fine for smoke tests only)');
  const teacherWeights = cfg.teacherWeights === null ? null : resolveWeightsSource(cfg.teacherWeights).path;
  let studentInit: StudentInitConfig | null = null;
  if (cfg.studentInit && !ckpt) {
    // Checked here once (clear errors before any worker starts), applied in every worker; a resume takes the
    // weights from its checkpoint and does not need the file any more.
    studentInit = { ...cfg.studentInit, weights: path.resolve(cfg.studentInit.weights) };
    const probe = buildModel(cfg.student, cfg.scale, { seed: cfg.seed });
    try {
      const report = warmStartStudent(probe, studentInit);
      say(formatWarmStart(report));
      logLine({ event: 'studentInit', file: report.file, mode: studentInit.mode, loaded: report.loaded.length, kept: report.kept });
    } finally {
      probe.dispose();
    }
  }
  checkValSets(cfg);
  const dataset = openTrainDataset(cfg);
  const stream = new BatchStream(dataset, { batchSize: cfg.data.batchSize, patchSizeLr: cfg.data.patchSizeLr, seed: cfg.seed, augment: cfg.data.augment },
    ckpt?.state.stream);
  const taskConfig: DistillTaskConfig = { train: cfg, teacherWeights, studentInit };
  let pool: DataParallelTrainer;
  try {
    pool = await DataParallelTrainer.start({
      taskModule: TASK_MODULE, taskConfig: taskConfig as unknown as Record<string, unknown>, workers,
      optimizer: { kind: 'adam', beta1: cfg.optim.betas[0], beta2: cfg.optim.betas[1], epsilon: cfg.optim.eps },
      emaDecay: cfg.emaDecay > 0 ? cfg.emaDecay : undefined, announce: !quiet,
    });
  } catch (err) {
    stream.close();
    throw err;
  }
  const student = buildModel(cfg.student, cfg.scale, { seed: cfg.seed });
  let studentOwned = true;
  const progressLine = quiet || options.onProgress ? null : terminalProgress(id, totalSteps, startStep);
  let best: BestMetric | null = ckpt?.state.best ?? null;
  let elapsedBefore = ckpt?.state.elapsedSec ?? 0;
  const sessionStart = performance.now();
  const elapsed = (): number => elapsedBefore + (performance.now() - sessionStart) / 1000;
  const val: ValRecord[] = [...pastVal];
  let step = startStep;
  let lastTerms: Record<string, number> = {};
  let status: RunResults['status'] = 'completed';
  let lastCkptStep = ckpt ? startStep : -1;
  try {
    if (ckpt) {
      if (ckpt.state.workers !== workers) say(`note: checkpoint made with ${ckpt.state.workers} workers, resuming with ${workers} (equal to float tolerance, not bit for bit)`);
      await pool.setWeights(ckpt.weights);
      await pool.setOptimizerState(ckpt.optimizer);
      if (pool.emaDecay !== null) await pool.setEmaWeights(ckpt.ema ?? ckpt.weights);
      say(`resumed ${id} from ${path.relative(process.cwd(), ckpt.dir) || ckpt.dir} (step ${startStep})`);
    } else {
      fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify({
        runId: id, configHash: hash, seed: cfg.seed, backend: describeBackend(backend), backendName: backend.name,
        versions: backend.versions, pool: pool.banner, workers, cpus: os.cpus().length, platform: `${process.platform}-${process.arch}`,
        startedAt: new Date().toISOString(),
      }, null, 1) + '\n');
    }
    ckpt = null; // the arrays are in the pool now
    say(`run ${id}: ${formula}`);
    logLine({ event: 'start', step: startStep, runId: id, configHash: hash, formula, workers, pool: pool.banner, totalSteps, resumedFrom: startStep > 0 ? startStep : null });

    const evalWeights = async (): Promise<Float32Array[]> => (pool.emaDecay !== null ? pool.getEmaWeights() : pool.getWeights());
    const runValidation = async (): Promise<void> => {
      if (cfg.val.sets.length === 0) return;
      setNetWeights(student, await evalWeights());
      const sets = await validate(student, cfg);
      val.push({ step, sets });
      const head = sets[0];
      if (head && (best === null || head.psnr > best.psnr)) best = { step, set: head.set, psnr: head.psnr, ssim: head.ssim };
      logLine({ event: 'val', step, sets, best });
      say(`step ${step}: ${sets.map((s) => `${s.set} ${s.psnr.toFixed(3)} dB / ${s.ssim.toFixed(4)}`).join(', ')} (EMA, ${sets[0]?.protocol ?? ''})`);
    };
    const checkpoint = async (): Promise<void> => {
      const [weights, optimizer] = [await pool.getWeights(), await pool.getOptimizerState()];
      const ema = pool.emaDecay !== null ? await pool.getEmaWeights() : null;
      const where = saveCheckpoint(dir, {
        step, configHash: hash, config: cfg, stream: stream.state(), best, workers, elapsedSec: elapsed(),
        variables: pool.variables, weights, ema, optimizer,
      });
      pruneCheckpoints(dir, cfg.keepCheckpoints);
      lastCkptStep = step;
      logLine({ event: 'checkpoint', step, dir: path.relative(dir, where) });
    };

    let intervalStart = performance.now();
    let intervalSteps = 0;
    while (step < totalSteps) {
      if (options.signal?.aborted) {
        status = 'stopped';
        break;
      }
      const rec = await stream.nextRecord();
      const learningRate = learningRateAt(cfg.optim, step);
      const context: DistillStepContext = { step, seed: cfg.seed, batchSizeTotal: rec.lrShape[0] };
      let r: StepResult;
      try {
        r = await pool.step({ lr: { shape: rec.lrShape, data: rec.lr }, hr: { shape: rec.hrShape, data: rec.hr } },
          { learningRate, context, groups });
      } catch (err) {
        const bad = nonFinite(err as Error);
        const lastGood = lastCkptStep >= 0 ? `the last good checkpoint ${path.relative(dir, checkpointDir(dir, lastCkptStep))} is intact` : 'no checkpoint was written yet';
        const message = bad
          ? `training stopped at step ${step + 1}: non-finite loss term '${bad.term}' (${bad.value}); ${lastGood} (run ${dir})`
          : `training failed at step ${step + 1}: ${(err as Error).message}`;
        logLine({ event: 'error', step: step + 1, message });
        throw new Error(message);
      }
      step++;
      intervalSteps++;
      lastTerms = r.terms;
      const logNow = step % cfg.logEverySteps === 0 || step === totalSteps;
      if (logNow) {
        const now = performance.now();
        const secPerStep = (now - intervalStart) / 1000 / Math.max(1, intervalSteps);
        intervalStart = now;
        intervalSteps = 0;
        const total = Object.values(r.terms).reduce((a: number, b: number) => a + b, 0);
        const numTensors = tf.memory().numTensors;
        logLine({ event: 'train', step, learningRate, terms: r.terms, total, secPerStep, stepsPerSec: secPerStep > 0 ? 1 / secPerStep : null,
          numTensors: { main: numTensors, workers: r.numTensors } });
        const ev: TrainProgressEvent = { runId: id, step, totalSteps, terms: r.terms, total, learningRate, secPerStep,
          etaSec: secPerStep * (totalSteps - step), numTensors, workerNumTensors: r.numTensors };
        options.onProgress?.(ev);
        progressLine?.onProgress(ev);
      }
      if (cfg.evalEverySteps > 0 && step % cfg.evalEverySteps === 0 && step < totalSteps) await runValidation();
      if (step % cfg.checkpointEverySteps === 0 && step < totalSteps) await checkpoint();
    }
    if (status === 'completed' && (val.length === 0 || val[val.length - 1].step !== step)) await runValidation();
    if (lastCkptStep !== step) await checkpoint();
    setNetWeights(student, await evalWeights());
    let model: string | null = null;
    if (status === 'completed') {
      await saveModel(student, path.join(dir, 'model'), { extra: { runId: id, step, ema: pool.emaDecay !== null, configHash: hash } });
      model = 'model';
    }
    elapsedBefore = elapsed();
    const results: RunResults = {
      runId: id, status, configHash: hash, formula, step, totalSteps, finalTerms: lastTerms, val, best,
      elapsedSec: elapsedBefore, workers, model,
    };
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 1) + '\n');
    logLine({ event: status === 'completed' ? 'end' : 'stopped', step, elapsedSec: results.elapsedSec });
    progressLine?.done(status === 'stopped' ? 'stopped' : undefined);
    studentOwned = false;
    return new Run(id, dir, cfg, student, results);
  } finally {
    progressLine?.done(); // no-op after a normal finish; ends the line after an error
    stream.close();
    await pool.dispose();
    if (studentOwned) student.dispose();
  }
}
