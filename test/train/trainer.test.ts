/**
 * train(): a run completes and writes its files; resume equivalence (abort via the signal, and SIGKILL of a CLI
 * child process) is bit-for-bit; a non-finite loss stops with a clear message and an intact checkpoint; a
 * changed config is refused naming the keys; tensor counts stay flat; 1 and 2 workers agree.
 * Method: DUKD as released (zoom-in tiles, zoom-out, invertible augmentation, two-step update): every source of
 * randomness and the multi-phase step are exercised. Pool starts dominate the time, so runs are shared.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import type { TrainConfig } from '../../lib/config/train';
import { buildModel } from '../../lib/models/build';
import { listCheckpoints, loadCheckpoint } from '../../lib/train/checkpoint';
import { resolveWeightsSource } from '../../lib/io/weights-source';
import { loadTeacherWeights } from '../../lib/train/distill-task';
import { openRun, type Run } from '../../lib/train/run';
import { train } from '../../lib/train/trainer';

const ROOT = path.resolve(__dirname, '../..');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-train-test-'));
const STEPS = 6;
const CFG: TrainConfig = resolveTrain({ totalSteps: STEPS, checkpointEverySteps: 2, evalEverySteps: 3, logEverySteps: 1, keepCheckpoints: 2, workers: 1 },
  trainPreset('smoke', { method: 'dukd-release' }));

type LogLine = { event: string; step: number; learningRate: number; terms: Record<string, number>; numTensors: { main: number; workers: number[] }; message?: string };
function trainLog(dir: string): LogLine[] {
  return fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine)
    .filter((e) => e.event === 'train');
}
const trajectory = (dir: string) => trainLog(dir).map((e) => ({ step: e.step, learningRate: e.learningRate, terms: e.terms }));
function netWeights(run: Run): Float32Array[] {
  return Array.from(run.student.params.values()).map((v) => Float32Array.from(v.dataSync() as Float32Array));
}
function ckptBytes(dir: string, step: number): Buffer[] {
  const d = path.join(dir, 'ckpt', `step-${step}`);
  return ['weights.bin', 'ema.bin', 'optimizer.bin'].map((f) => fs.readFileSync(path.join(d, f)));
}

let straight: Run;
beforeAll(async () => {
  straight = await train(CFG, { runsDir: path.join(TMP, 'straight'), resume: 'none', quiet: true });
});
afterAll(() => {
  straight?.dispose();
  fs.rmSync(TMP, { recursive: true, force: true });
});

describe('train', () => {
  it('completes and writes config.json, env.json, log.jsonl, ckpt/, results.json and model/', () => {
    const dir = straight.dir;
    expect(path.basename(dir)).toMatch(/^\d{8}-dukd-edsrx2-[0-9a-f]{8}$/);
    for (const f of ['config.json', 'env.json', 'log.jsonl', 'results.json', 'model/model.json']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual(CFG);
    expect(listCheckpoints(dir)).toEqual([4, 6]); // keepCheckpoints 2
    const res = straight.results;
    expect(res.status).toBe('completed');
    expect(res.step).toBe(STEPS);
    expect(res.formula).toMatch(/^step 1.*total = 5·rec \+ 1·kd; step 2.*total = 1·zi \+ 5·zo_rec \+ 1·zo_kd/);
    expect(res.val.map((v) => v.step)).toEqual([3, 6]);
    expect(res.val[1].sets[0]).toMatchObject({ set: 'synthetic-valid', images: 2, protocol: 'paper-y' });
    expect(Number.isFinite(res.best?.psnr)).toBe(true);
    const log = trainLog(dir);
    expect(log.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Object.keys(log[0].terms)).toEqual(['rec', 'kd', 'zi', 'zo_rec', 'zo_kd']);
    expect(log[0].learningRate).toBe(1e-3);
    expect(log[5].learningRate).toBe(5e-4); // milestone 3, gamma 0.5
    const env = JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8'));
    expect(env).toMatchObject({ seed: 0, workers: 1, backendName: expect.any(String) });
    const st = loadCheckpoint(path.join(dir, 'ckpt', 'step-6')).state;
    expect(st.optimizer.iterations).toBe(2 * STEPS); // two Adam steps per iteration (twoStepAccumulate)
    expect(st.stream.batches).toBe(STEPS);
  });

  it('a finished run opens again and serves as a teacher (teacherWeights: run dir)', () => {
    const again = openRun(straight.dir);
    try {
      expect(again.results).toEqual(straight.results);
      expect(netWeights(again)).toEqual(netWeights(straight));
    } finally {
      again.dispose();
    }
    expect(resolveWeightsSource(straight.dir)).toEqual({ kind: 'srkd-model', path: path.join(straight.dir, 'model') });
    const teacher = buildModel(CFG.student, CFG.scale, { seed: 99 });
    try {
      loadTeacherWeights(teacher, straight.dir);
      expect(Array.from(teacher.params.values()).map((v) => Float32Array.from(v.dataSync() as Float32Array))).toEqual(netWeights(straight));
    } finally {
      teacher.dispose();
    }
    expect(() => resolveWeightsSource(path.join(TMP, 'missing.pth'))).toThrow(/teacherWeights: .*missing\.pth does not exist/);
  });

  it('keeps the tensor count flat (main thread and workers)', () => {
    const log = trainLog(straight.dir);
    for (const e of log) {
      expect(e.numTensors.main).toBe(log[0].numTensors.main);
      expect(e.numTensors.workers).toEqual(log[0].numTensors.workers);
    }
  });

  it('abort after N steps + resume M steps equals N+M straight, bit for bit', async () => {
    const runsDir = path.join(TMP, 'aborted');
    const controller = new AbortController();
    const first = await train(CFG, {
      runsDir, resume: 'none', quiet: true, signal: controller.signal,
      onProgress: (e) => { if (e.step === 3) controller.abort(); },
    });
    first.dispose();
    expect(first.results.status).toBe('stopped');
    expect(first.results.step).toBe(3);
    expect(listCheckpoints(first.dir)).toEqual([2, 3]);
    const second = await train(CFG, { runsDir, resume: 'latest', quiet: true });
    try {
      expect(second.dir).toBe(first.dir);
      expect(second.results.status).toBe('completed');
      expect(trajectory(second.dir)).toEqual(trajectory(straight.dir));
      expect(ckptBytes(second.dir, STEPS)).toEqual(ckptBytes(straight.dir, STEPS));
      expect(netWeights(second)).toEqual(netWeights(straight));
      expect(second.results.val.map((v) => v.sets)).toEqual(straight.results.val.map((v) => v.sets));
    } finally {
      second.dispose();
    }
  });

  it('SIGKILL of a CLI run mid-way, then resume: same trajectory and weights', async () => {
    const runsDir = path.join(TMP, 'killed');
    const cfgFile = path.join(TMP, 'killed.json');
    fs.writeFileSync(cfgFile, JSON.stringify(CFG));
    // --steps 1000: the child would run long; it is killed once its first checkpoint (step 2) is on disk
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/run-ts.js'), path.join(ROOT, 'test/train/cli-child.ts'),
      '--config', cfgFile, '--runs-dir', runsDir, '--steps', '1000', '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += String(d); });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? code)));
    const t0 = Date.now();
    let runDir: string | null = null;
    while (Date.now() - t0 < 90_000) {
      const names = fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : [];
      runDir = names.length ? path.join(runsDir, names[0]) : null;
      if (runDir && listCheckpoints(runDir).length > 0) break;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    expect(runDir).not.toBeNull();
    const k = Math.max(...listCheckpoints(runDir!));
    expect(k).toBeLessThan(STEPS); // killed before the end
    expect(fs.existsSync(path.join(runDir!, 'results.json'))).toBe(false);
    const resumed = await train(CFG, { runsDir, resume: 'latest', quiet: true });
    try {
      expect(resumed.dir).toBe(runDir);
      expect(trajectory(resumed.dir)).toEqual(trajectory(straight.dir));
      expect(ckptBytes(resumed.dir, STEPS)).toEqual(ckptBytes(straight.dir, STEPS));
      expect(netWeights(resumed)).toEqual(netWeights(straight));
    } finally {
      resumed.dispose();
    }
  });

  it('refuses a run directory whose config differs, naming the keys', async () => {
    const changed = resolveTrain({ optim: { learningRate: 2e-3 }, seed: 5 }, CFG);
    await expect(train(changed, { runDir: straight.dir, quiet: true })).rejects.toThrow(
      /made with another config; refusing to resume it\. Changed: optim\.learningRate: 0\.001 -> 0\.002, seed: 0 -> 5/);
    await expect(train(CFG, { runsDir: path.dirname(straight.dir), resume: 'none', quiet: true })).rejects.toThrow(/already has checkpoints/);
  });

  it('1 worker and 2 workers give the same losses (float tolerance)', async () => {
    const two = await train(CFG, { runsDir: path.join(TMP, 'two'), resume: 'none', quiet: true, workers: 2 });
    try {
      expect(two.results.workers).toBe(2);
      const a = trajectory(straight.dir);
      const b = trajectory(two.dir);
      expect(b.map((e) => e.step)).toEqual(a.map((e) => e.step));
      a.forEach((e, i) => {
        for (const [name, v] of Object.entries(e.terms)) expect(Math.abs(b[i].terms[name] - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v)));
      });
      const wa = netWeights(straight).flatMap((w) => Array.from(w));
      const wb = netWeights(two).flatMap((w) => Array.from(w));
      expect(Math.max(...wa.map((x, i) => Math.abs(x - wb[i])))).toBeLessThan(1e-4);
      const log = trainLog(two.dir);
      expect(log[0].numTensors.workers).toHaveLength(2);
      expect(log[5].numTensors.workers).toEqual(log[0].numTensors.workers);
    } finally {
      two.dispose();
    }
  });

  it('a non-finite loss stops the run naming the step and term; the last checkpoint stays intact', async () => {
    // lr 1e30: Adam moves every weight by ~1e30 at step 1, so step 2's forward overflows
    const cfg = resolveTrain({ method: { kind: 'scratch' }, teacher: null, optim: { learningRate: 1e30, milestones: [] }, checkpointEverySteps: 1, evalEverySteps: 0, totalSteps: 4 }, CFG);
    const runsDir = path.join(TMP, 'nan');
    await expect(train(cfg, { runsDir, resume: 'none', quiet: true })).rejects.toThrow(
      /^training stopped at step 2: non-finite loss term 'rec' \((NaN|Infinity|-Infinity)\); the last good checkpoint ckpt\/step-1 is intact/);
    const dir = path.join(runsDir, fs.readdirSync(runsDir)[0]);
    expect(listCheckpoints(dir)).toEqual([1]);
    const ck = loadCheckpoint(path.join(dir, 'ckpt', 'step-1'));
    expect(ck.state.step).toBe(1);
    expect(ck.weights.every((w) => w.every(Number.isFinite))).toBe(true);
    const errors = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].step).toBe(2);
  });
});
