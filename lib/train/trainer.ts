/**
 * `train(config, options)`: the one training entry point for the CLI, scripts and notebooks.
 *
 * - The step runs on a StepEngine (step-engine.ts): data-parallel worker threads on the CPU backends, or one
 *   in-process replica on a GPU backend; both build student + frozen teacher + method from the config
 *   (distill-task.ts). 1 worker gives the same numbers as N up to float tolerance; the same engine and worker
 *   count give bit-identical runs.
 * - Adam (config.optim), MultiStep schedule (schedule.ts), student EMA kept by the engine (BasicSR's model_ema);
 *   DUKD code's 'twoStepAccumulate' runs the method's term groups as phases of one step.
 * - On webgpu, before the first step, every kernel an iteration of the method needs must be registered
 *   (method-kernels.ts); the error lists the missing ones.
 * - Run directory `runs/<yyyymmdd>-<method>-<arch>x<scale>-<hash8>/`: config.json, env.json, log.jsonl (every
 *   term, lr, steps/s, live tensor counts main + workers), ckpt/step-<n>/ (checkpoint.ts), results.json and,
 *   once complete, model/ (the EMA student in the kit's model format) and, with an EMA, model-raw/ (the raw weights).
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
import { formatWarmStart, RAW_MODEL_DIR, warmStartSets, warmStartStudent, type WeightSet } from './warm-start';
import { describeBackend, initBackend } from '../backend/index';
import { BatchStream } from '../data/batches';
import { defaultDataRoot, openDataset, type Dataset } from '../data/datasets';
import { buildMethod, describeFormula } from '../distill/methods';
import { saveModel } from '../io/model-file';
import { buildModel } from '../models/build';
import type { SRNet } from '../models/types';
import { type BestMetric, type Checkpoint, checkpointDir, latestCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoint';
import { createTask, type DistillTaskConfig } from './distill-task';
import { NonFiniteGradientError, NonFiniteLossError } from './errors';
import { InProcessEngine } from './in-process-engine';
import { assertMethodKernels } from './method-kernels';
import { type EngineChoice, type EngineKind, type EngineStep, resolveEngine, type StepEngine } from './step-engine';
import { WorkerPoolEngine } from './worker-pool-engine';
import { resolveWeightsSource } from '../io/weights-source';
import { terminalProgress, type TrainProgressEvent } from './progress';
import { Run, type RunResults, type ValRecord } from './run';
import { learningRateAt } from './schedule';
import { checkValSets, PRESENT_VAL_SETS, validate, type ValSetResult } from './validate';

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
  /**
   * Step engine (step-engine.ts): 'auto' (default; SRKD_ENGINE overrides) = in-process on tensorflow / webgpu,
   * worker threads on wasm / cpu. Not part of the config hash: an engine change resumes to float tolerance.
   */
  readonly engine?: EngineChoice;
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

function nonFinite(err: unknown): { term: string; value: string } | null {
  if (err instanceof NonFiniteLossError) return { term: err.term, value: err.value };
  if (err instanceof NonFiniteGradientError) return { term: '(gradient)', value: err.value };
  return null;
}

/**
 * Loads the pool's weights into the student. The trained variables are the student's parameters first, then
 * any the method trains besides (FitNet's regressors; DistillMethod.trainable), so the student takes the prefix.
 */
function setNetWeights(net: SRNet, weights: readonly Float32Array[]): void {
  const vars = Array.from(net.params.values());
  if (vars.length > weights.length) throw new Error(`student has ${vars.length} parameters, the pool ${weights.length}`);
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

/** What the run directory holds when training (re)starts. */
type OpenedRun = {
  readonly dir: string;
  readonly id: string;
  readonly hash: string;
  /** The newest checkpoint to resume from, or null for a fresh start. */
  readonly ckpt: Checkpoint | null;
  /** Validations logged before the checkpoint (a resume keeps them). */
  readonly pastVal: ValRecord[];
  logLine(e: Record<string, unknown>): void;
};

/** Finds or creates the run directory, refuses a changed config, trims the log back to the checkpoint. */
function openRunDir(cfg: TrainConfig, options: TrainOptions, say: (line: string) => void): OpenedRun {
  const resume = options.resume ?? 'latest';
  const runsDir = path.resolve(options.runsDir ?? 'runs');
  const dir = options.runDir
    ? path.resolve(options.runDir)
    : (resume === 'latest' ? findRunDir(runsDir, cfg) : null) ?? path.join(runsDir, makeRunId(cfg));
  const logFile = path.join(dir, 'log.jsonl');
  const ckpt: Checkpoint | null = fs.existsSync(dir) ? latestCheckpoint(dir) : null;
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
  fs.mkdirSync(dir, { recursive: true });
  let pastVal: ValRecord[] = [];
  if (ckpt) {
    pastVal = trimLog(logFile, ckpt.state.step)
      .filter((e) => e.event === 'val')
      .map((e) => ({ step: e.step as number, sets: e.sets as ValSetResult[] }));
  } else if (fs.existsSync(logFile)) {
    fs.rmSync(logFile); // a fresh start in a directory that never got a checkpoint
  }
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 1) + '\n');
  const logLine = (e: Record<string, unknown>): void => fs.appendFileSync(logFile, JSON.stringify({ ...e, time: new Date().toISOString() }) + '\n');
  return { dir, id: path.basename(dir), hash: configHash(cfg), ckpt, pastVal, logLine };
}

/**
 * The student warm start to hand to the engine (absolute path), checked once here with clear errors before
 * any replica starts; null when none is configured or when resuming (the checkpoint has the weights). `ema`:
 * the EMA copy's starting weights (student parameter order) when the mode loads a separate set into it
 * (warm-start.ts `warmStartSets`: 'all-matching' as BasicSR) and the run keeps an EMA; else null.
 */
function checkedStudentInit(cfg: TrainConfig, resuming: boolean, run: OpenedRun, say: (line: string) => void): { init: StudentInitConfig; ema: Float32Array[] | null } | null {
  if (!cfg.studentInit || resuming) return null;
  const init: StudentInitConfig = { ...cfg.studentInit, weights: path.resolve(cfg.studentInit.weights) };
  const sets = warmStartSets(init.mode);
  const load = (set: WeightSet): Float32Array[] => {
    const probe = buildModel(cfg.student, cfg.scale, { seed: cfg.seed });
    try {
      const report = warmStartStudent(probe, init, set);
      say(formatWarmStart(report));
      run.logLine({ event: 'studentInit', file: report.file, mode: init.mode, set, note: report.note, loaded: report.loaded.length, kept: report.kept });
      return Array.from(probe.params.values(), (v) => Float32Array.from(v.dataSync() as Float32Array));
    } finally {
      probe.dispose();
    }
  };
  load(sets.student);
  const ema = sets.ema !== null && cfg.emaDecay > 0 ? load(sets.ema) : null;
  return { init, ema };
}

/** Starts the engine of `kind` on the run's task. */
async function startEngine(kind: EngineKind, cfg: TrainConfig, taskConfig: DistillTaskConfig, workers: number, quiet: boolean): Promise<StepEngine> {
  const optimizer = { kind: 'adam' as const, beta1: cfg.optim.betas[0], beta2: cfg.optim.betas[1], epsilon: cfg.optim.eps };
  const emaDecay = cfg.emaDecay > 0 ? cfg.emaDecay : undefined;
  if (kind === 'in-process') return InProcessEngine.start({ createTask, taskConfig, optimizer, emaDecay });
  return WorkerPoolEngine.start({ taskModule: TASK_MODULE, taskConfig, workers, optimizer, emaDecay, announce: !quiet });
}

/** The replicas a run uses: one in-process, else the workers asked for (default one per core, at most the batch). */
function workerCount(kind: EngineKind, cfg: TrainConfig, options: TrainOptions): number {
  if (kind === 'in-process') return 1;
  const workers = Math.min(options.workers ?? cfg.workers ?? os.availableParallelism(), cfg.data.batchSize);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be an integer >= 1 (got ${workers})`);
  return workers;
}

/** Puts a checkpoint's weights, optimiser state and EMA into the engine. */
async function restoreCheckpoint(engine: StepEngine, ckpt: Checkpoint, kind: EngineKind, say: (line: string) => void): Promise<void> {
  const madeBy = ckpt.state.engine ?? 'workers';
  if (madeBy !== kind) say(`note: checkpoint made by the '${madeBy}' engine, resuming on '${kind}' (equal to float tolerance, not bit for bit)`);
  else if (ckpt.state.workers !== engine.replicas) {
    say(`note: checkpoint made with ${ckpt.state.workers} workers, resuming with ${engine.replicas} (equal to float tolerance, not bit for bit)`);
  }
  await engine.setWeights(ckpt.weights);
  await engine.setOptimizerState(ckpt.optimizer);
  if (engine.emaDecay !== null) await engine.setEmaWeights(ckpt.ema ?? ckpt.weights);
  if (engine.stateVariables.length > 0) {
    if (!ckpt.methodState) throw new Error(`checkpoint ${ckpt.dir} has no method state (method-state.bin), but the method keeps ${engine.stateVariables.length} state variables`);
    await engine.setState(ckpt.methodState);
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
  const method = buildMethod(cfg.method);
  const groups = method.termGroups.length;
  const formula = describeFormula(cfg.method);

  // --- open the run directory, decide fresh start or resume ------------------------------------------------
  const run = openRunDir(cfg, options, say);
  const { dir, id, hash } = run;
  let ckpt = run.ckpt;
  const startStep = ckpt?.state.step ?? 0;

  // --- build the engine --------------------------------------------------------------------------------------
  const backend = await initBackend({ announce: !quiet });
  const kind = resolveEngine(options.engine ?? (process.env.SRKD_ENGINE as EngineChoice | undefined) ?? 'auto', backend.name);
  const workers = workerCount(kind, cfg, options);
  // webgpu has no fallback for a missing kernel: fail now, not at the first step that needs it (in-process only:
  // worker threads run wasm)
  if (kind === 'in-process') await assertMethodKernels(cfg);
  if (method.requiresTeacher && cfg.teacherWeights === null) say('warning: teacherWeights is null, the teacher keeps its random initialisation (fine for smoke tests only)');
  const teacherWeights = cfg.teacherWeights === null ? null : resolveWeightsSource(cfg.teacherWeights).path;
  const warm = checkedStudentInit(cfg, ckpt !== null, run, say);
  const studentInit = warm?.init ?? null;
  const valSets = checkValSets(cfg);
  if (cfg.val.sets.includes(PRESENT_VAL_SETS)) say(`validation sets present under the data root: ${valSets.length ? valSets.join(', ') : 'none (no validation)'}`);
  const dataset = openTrainDataset(cfg);
  const stream = new BatchStream(dataset, { batchSize: cfg.data.batchSize, patchSizeLr: cfg.data.patchSizeLr, seed: cfg.seed, augment: cfg.data.augment },
    ckpt?.state.stream);
  let engine: StepEngine;
  try {
    engine = await startEngine(kind, cfg, { train: cfg, teacherWeights, studentInit }, workers, quiet);
    if (warm?.ema && engine.emaDecay !== null) await engine.setEmaWeights(warm.ema); // BasicSR: params_ema into net_g_ema
  } catch (err) {
    stream.close();
    throw err;
  }
  const student = buildModel(cfg.student, cfg.scale, { seed: cfg.seed }); // main-thread copy for validation and export
  let studentOwned = true;
  const progressLine = quiet || options.onProgress ? null : terminalProgress(id, totalSteps, startStep);
  let best: BestMetric | null = ckpt?.state.best ?? null;
  let elapsedBefore = ckpt?.state.elapsedSec ?? 0;
  const sessionStart = performance.now();
  const elapsed = (): number => elapsedBefore + (performance.now() - sessionStart) / 1000;
  const val: ValRecord[] = [...run.pastVal];
  let step = startStep;
  let lastTerms: Record<string, number> = {};
  let status: RunResults['status'] = 'completed';
  let lastCkptStep = ckpt ? startStep : -1;
  try {
    if (ckpt) {
      await restoreCheckpoint(engine, ckpt, kind, say);
      say(`resumed ${id} from ${path.relative(process.cwd(), ckpt.dir) || ckpt.dir} (step ${startStep})`);
    } else {
      fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify({
        runId: id, configHash: hash, seed: cfg.seed, backend: describeBackend(backend), backendName: backend.name,
        versions: backend.versions, engine: kind, pool: engine.banner, workers, cpus: os.cpus().length, platform: `${process.platform}-${process.arch}`,
        startedAt: new Date().toISOString(),
      }, null, 1) + '\n');
    }
    ckpt = null; // the arrays are in the engine now
    say(`run ${id}: ${formula}`);
    for (const note of method.notes ?? []) say(`note (${cfg.method.kind}): ${note}`);
    run.logLine({ event: 'start', step: startStep, runId: id, configHash: hash, formula, notes: method.notes ?? [], engine: kind, workers, pool: engine.banner, totalSteps, resumedFrom: startStep > 0 ? startStep : null });

    // The trained variables are the student's own, unless the method maps them (CSD: the student is sliced out of
    // the shared full-width weights it trains; DistillMethod.loadStudent).
    const loadTrained = (values: readonly Float32Array[]): void => {
      if (method.loadStudent) method.loadStudent(student, values.map((data, i) => ({ shape: engine.variables[i].shape, data })));
      else setNetWeights(student, values);
    };
    const setStudentToEval = async (): Promise<void> => loadTrained(await (engine.emaDecay !== null ? engine.getEmaWeights() : engine.getWeights()));
    const runValidation = async (): Promise<void> => {
      if (valSets.length === 0) return;
      await setStudentToEval();
      const sets = await validate(student, cfg, valSets);
      val.push({ step, sets });
      const head = sets[0];
      if (head && (best === null || head.psnr > best.psnr)) best = { step, set: head.set, psnr: head.psnr, ssim: head.ssim };
      run.logLine({ event: 'val', step, sets, best });
      say(`step ${step}: ${sets.map((s) => `${s.set} ${s.psnr.toFixed(3)} dB / ${s.ssim.toFixed(4)}`).join(', ')} (EMA, ${sets[0]?.protocol ?? ''})`);
    };
    const checkpoint = async (): Promise<void> => {
      const [weights, optimizer] = [await engine.getWeights(), await engine.getOptimizerState()];
      const ema = engine.emaDecay !== null ? await engine.getEmaWeights() : null;
      const methodState = engine.stateVariables.length > 0 ? { variables: engine.stateVariables, data: await engine.getState() } : null;
      const where = saveCheckpoint(dir, {
        step, configHash: hash, config: cfg, stream: stream.state(), best, workers, engine: kind, elapsedSec: elapsed(),
        variables: engine.variables, weights, ema, optimizer, methodState,
      });
      pruneCheckpoints(dir, cfg.keepCheckpoints);
      lastCkptStep = step;
      run.logLine({ event: 'checkpoint', step, dir: path.relative(dir, where) });
    };
    /** A failed step as one clear error (non-finite losses name the term and the intact checkpoint). */
    const stepFailure = (err: unknown, atStep: number): Error => {
      const bad = nonFinite(err);
      const lastGood = lastCkptStep >= 0 ? `the last good checkpoint ${path.relative(dir, checkpointDir(dir, lastCkptStep))} is intact` : 'no checkpoint was written yet';
      const message = bad
        ? `training stopped at step ${atStep}: non-finite loss term '${bad.term}' (${bad.value}); ${lastGood} (run ${dir})`
        : `training failed at step ${atStep}: ${(err as Error).message}`;
      run.logLine({ event: 'error', step: atStep, message });
      return bad ? new NonFiniteLossError(bad.term, bad.value, message) : new Error(message);
    };
    const logProgress = (terms: Record<string, number>, learningRate: number, secPerStep: number, r: EngineStep): void => {
      const total = Object.values(terms).reduce((a: number, b: number) => a + b, 0);
      const numTensors = tf.memory().numTensors;
      run.logLine({ event: 'train', step, learningRate, terms, total, secPerStep, stepsPerSec: secPerStep > 0 ? 1 / secPerStep : null,
        numTensors: { main: numTensors, workers: r.numTensors } });
      const ev: TrainProgressEvent = { runId: id, step, totalSteps, terms, total, learningRate, secPerStep,
        etaSec: secPerStep * (totalSteps - step), numTensors, workerNumTensors: [...r.numTensors] };
      options.onProgress?.(ev);
      progressLine?.onProgress(ev);
    };

    let intervalStart = performance.now();
    let intervalSteps = 0;
    let unread: EngineStep | null = null; // the newest step whose terms were not read (and checked) yet
    while (step < totalSteps) {
      if (options.signal?.aborted) {
        status = 'stopped';
        break;
      }
      // step
      const rec = await stream.nextRecord();
      const learningRate = learningRateAt(cfg.optim, step);
      let r: EngineStep;
      try {
        r = await engine.step({ lr: { shape: rec.lrShape, data: rec.lr }, hr: { shape: rec.hrShape, data: rec.hr } },
          { learningRate, context: { step, seed: cfg.seed, batchSizeTotal: rec.lrShape[0] }, groups });
      } catch (err) {
        throw stepFailure(err, step + 1);
      }
      step++;
      intervalSteps++;
      unread = r;
      const logNow = step % cfg.logEverySteps === 0 || step === totalSteps;
      const checkpointNow = step % cfg.checkpointEverySteps === 0 && step < totalSteps;
      // log (terms are read from the engine only here: the in-process engine keeps them on the device)
      if (logNow || checkpointNow) {
        try {
          lastTerms = await r.readTerms();
          unread = null;
        } catch (err) {
          throw stepFailure(err, step);
        }
      }
      if (logNow) {
        const now = performance.now();
        const secPerStep = (now - intervalStart) / 1000 / Math.max(1, intervalSteps);
        intervalStart = now;
        intervalSteps = 0;
        logProgress(lastTerms, learningRate, secPerStep, r);
      }
      // validate, checkpoint
      if (cfg.evalEverySteps > 0 && step % cfg.evalEverySteps === 0 && step < totalSteps) await runValidation();
      if (checkpointNow) await checkpoint();
    }

    // finish: last validation and checkpoint, the EMA student as the run's model, results.json
    if (unread !== null) {
      try {
        lastTerms = await unread.readTerms(); // never checkpoint weights whose losses were not checked finite
      } catch (err) {
        throw stepFailure(err, step);
      }
    }
    if (status === 'completed' && (val.length === 0 || val[val.length - 1].step !== step)) await runValidation();
    if (lastCkptStep !== step) await checkpoint();
    let model: string | null = null;
    let modelRaw: string | null = null;
    if (status === 'completed' && engine.emaDecay !== null) {
      // the raw weights too (BasicSR saves 'params' beside 'params_ema'): an x4 'all-matching' warm start takes both
      loadTrained(await engine.getWeights());
      await saveModel(student, path.join(dir, RAW_MODEL_DIR), { extra: { runId: id, step, ema: false, configHash: hash } });
      modelRaw = RAW_MODEL_DIR;
    }
    await setStudentToEval();
    if (status === 'completed') {
      await saveModel(student, path.join(dir, 'model'), { extra: { runId: id, step, ema: engine.emaDecay !== null, configHash: hash } });
      model = 'model';
    }
    elapsedBefore = elapsed();
    const results: RunResults = {
      runId: id, status, configHash: hash, formula, step, totalSteps, finalTerms: lastTerms, val, best,
      elapsedSec: elapsedBefore, workers, model, modelRaw,
    };
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 1) + '\n');
    run.logLine({ event: status === 'completed' ? 'end' : 'stopped', step, elapsedSec: results.elapsedSec });
    progressLine?.done(status === 'stopped' ? 'stopped' : undefined);
    studentOwned = false;
    return new Run(id, dir, cfg, student, results);
  } finally {
    progressLine?.done(); // no-op after a normal finish; ends the line after an error
    stream.close();
    await engine.dispose();
    if (studentOwned) student.dispose();
  }
}
