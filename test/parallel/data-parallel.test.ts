import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataParallelTrainer, type HostArray, splitInputs } from '../../lib/parallel/data-parallel';
import { shareSizes } from '../../lib/parallel/flat';
import { Rng } from '../../lib/util/rng';

const TASK = path.resolve(__dirname, '../../lib/parallel/sr-l1-task.ts');
const FAULTY = path.resolve(__dirname, 'faulty-task.ts');
const CONFIG = { arch: { arch: 'edsr', feats: 4, blocks: 1, resScale: 1 }, scale: 2, seed: 7 };
const P = 8;

function uniform(shape: number[], rng: Rng): HostArray {
  const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { shape, data };
}

function batch(n: number, seed: number): Record<string, HostArray> {
  const rng = new Rng(seed);
  return { lr: uniform([n, P, P, 3], rng), hr: uniform([n, P * 2, P * 2, 3], rng) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

const pools: DataParallelTrainer[] = [];
async function start(workers: number, extra: Record<string, unknown> = {}, taskModule = TASK): Promise<DataParallelTrainer> {
  const pool = await DataParallelTrainer.start({ taskModule, taskConfig: { ...CONFIG, ...extra }, workers });
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
});

describe('shareSizes / splitInputs', () => {
  it('splits unevenly, larger shares first, and refuses batch < workers', () => {
    expect(shareSizes(16, 2)).toEqual([8, 8]);
    expect(shareSizes(3, 2)).toEqual([2, 1]);
    expect(shareSizes(7, 3)).toEqual([3, 2, 2]);
    expect(() => shareSizes(1, 2)).toThrow(/batch of 1 cannot be split over 2 workers/);
  });
  it('keeps rows intact along axis 0', () => {
    const x = { shape: [3, 2], data: Float32Array.from([0, 1, 2, 3, 4, 5]) };
    const [a, b] = splitInputs({ x }, [2, 1]);
    expect(a.x.shape).toEqual([2, 2]);
    expect(Array.from(a.x.data)).toEqual([0, 1, 2, 3]);
    expect(b.x.shape).toEqual([1, 2]);
    expect(Array.from(b.x.data)).toEqual([4, 5]);
  });
});

describe('DataParallelTrainer', () => {
  it('2 workers equal 1 worker: terms, gradients, and weights after 3 Adam steps', async () => {
    const [one, two] = await Promise.all([start(1), start(2)]);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.paramCount).toBe(one.paramCount);
    const w0 = await one.getWeights();
    expect(maxAbsDiff((await two.getWeights()).flatMap((w) => Array.from(w)), w0.flatMap((w) => Array.from(w)))).toBe(0);

    const b0 = batch(4, 1);
    const g1 = await one.computeGradients(b0);
    const g2 = await two.computeGradients(b0);
    expect(g2.terms.l1).toBeCloseTo(g1.terms.l1, 6);
    expect(maxAbsDiff(g1.grads, g2.grads)).toBeLessThan(1e-5 * Math.max(1, maxAbs(g1.grads)));

    for (let s = 0; s < 3; s++) {
      const b = batch(4, 10 + s);
      const lr = 1e-3 * (s + 1); // a changing learning rate (schedules) must reach every worker
      const [r1, r2] = await Promise.all([one.step(b, { learningRate: lr }), two.step(b, { learningRate: lr })]);
      expect(r2.terms.l1).toBeCloseTo(r1.terms.l1, 5);
      expect(r1.numTensors).toHaveLength(1);
      expect(r2.numTensors).toHaveLength(2);
      expect(r2.seconds).toBeGreaterThan(0);
    }
    const [wa, wb] = [await one.getWeights(), await two.getWeights()];
    const flatA = wa.flatMap((w) => Array.from(w));
    const flatB = wb.flatMap((w) => Array.from(w));
    expect(maxAbsDiff(flatA, w0.flatMap((w) => Array.from(w)))).toBeGreaterThan(1e-4); // it did train
    expect(maxAbsDiff(flatA, flatB)).toBeLessThan(1e-5);

    const sums = await two.checksums();
    expect(sums[1]).toBe(sums[0]);

    const st1 = await one.getOptimizerState();
    const st2 = await two.getOptimizerState();
    expect(st1.iterations).toBe(3);
    expect(st2.iterations).toBe(3);
    expect(st2.slots.map((s) => s.name)).toEqual(st1.slots.map((s) => s.name));
  });

  it('an uneven split (batch 3 over 2 workers) is exact', async () => {
    const [one, two] = await Promise.all([start(1), start(2)]);
    const b = batch(3, 5);
    const g1 = await one.computeGradients(b);
    const g2 = await two.computeGradients(b);
    expect(g2.terms.l1).toBeCloseTo(g1.terms.l1, 6);
    expect(maxAbsDiff(g1.grads, g2.grads)).toBeLessThan(1e-5 * Math.max(1, maxAbs(g1.grads)));
    await Promise.all([one.step(b, { learningRate: 1e-3 }), two.step(b, { learningRate: 1e-3 })]);
    const flatA = (await one.getWeights()).flatMap((w) => Array.from(w));
    const flatB = (await two.getWeights()).flatMap((w) => Array.from(w));
    expect(maxAbsDiff(flatA, flatB)).toBeLessThan(1e-5);
    const sums = await two.checksums();
    expect(sums[1]).toBe(sums[0]);
    await expect(two.step(batch(1, 6), { learningRate: 1e-3 })).rejects.toThrow(/cannot be split over 2 workers/);
  });

  it('workers do not accumulate tensors over repeated steps', async () => {
    const pool = await start(2);
    const first = await pool.step(batch(2, 20), { learningRate: 1e-3 }); // creates the optimiser slots
    let last = first;
    for (let s = 0; s < 4; s++) last = await pool.step(batch(2, 21 + s), { learningRate: 1e-3 });
    expect(last.numTensors).toEqual(first.numTensors);
    expect(await pool.numTensors()).toEqual(first.numTensors);
  });

  it('weights and optimiser state round-trip (checkpoint / resume equivalence)', async () => {
    const [a, b] = await Promise.all([start(2), start(2, { seed: 99 })]);
    await a.step(batch(4, 30), { learningRate: 1e-3 });
    await b.setWeights(await a.getWeights());
    await b.setOptimizerState(await a.getOptimizerState());
    expect(await b.checksums()).toEqual(await a.checksums());
    await Promise.all([a.step(batch(4, 31), { learningRate: 5e-4 }), b.step(batch(4, 31), { learningRate: 5e-4 })]);
    expect(await b.checksums()).toEqual(await a.checksums());
  });

  it('a worker exception rejects the step with its message, and the pool stays usable', async () => {
    const pool = await start(2, { fault: 'throw' }, FAULTY);
    const b = batch(2, 40);
    b.lr.data.fill(0.1);
    b.lr.data[P * P * 3] = 0.9; // worker 1's share (row 1) is poisoned
    const before = await pool.checksums();
    await expect(pool.step(b, { learningRate: 1e-3 })).rejects.toThrow(/worker 1: injected failure in terms/);
    expect(await pool.checksums()).toEqual(before); // nothing was applied
    b.lr.data[P * P * 3] = 0.2;
    const ok = await pool.step(b, { learningRate: 1e-3 });
    expect(Number.isFinite(ok.terms.l1)).toBe(true);
  });

  it('a non-finite loss term rejects the step', async () => {
    const pool = await start(2, { fault: 'nan' }, FAULTY);
    const b = batch(2, 41);
    b.lr.data.fill(0.9); // both shares poisoned
    await expect(pool.step(b, { learningRate: 1e-3 })).rejects.toThrow(/worker \d: non-finite loss term 'bad' = NaN/);
  });

  it('a bad task module fails start() with a clear message', async () => {
    await expect(DataParallelTrainer.start({ taskModule: __filename.replace(/\.test\.ts$/, '-missing.ts'), taskConfig: {}, workers: 1 }))
      .rejects.toThrow(/worker 0: Cannot find module/);
    await expect(DataParallelTrainer.start({ taskModule: TASK, taskConfig: { ...CONFIG, scale: 5 }, workers: 2 }))
      .rejects.toThrow(/config.scale must be 2, 3 or 4/);
  });
});
