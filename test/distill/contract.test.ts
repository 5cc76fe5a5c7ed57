/**
 * The method contract suite (STYLE.md section 8) over METHOD_SMOKE_CONFIGS, with tiny real EDSR nets:
 * JSON round trip, finite scalar terms, gradients reach exactly trainable() (the student's parameters, or for CSD
 * the shared weights, which are the teacher's; nothing else), term groups,
 * flat tensor count, and worker-count invariance (one share of 4 = share-weighted mean of two shares of 2;
 * batch-coupled methods get the shares' statistics added over the batch, as the engines all-reduce them).
 * Methods are built as the trainer does: init(nets) once before the first step, dispose() at the end.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { useTinyNets } from './tiny-nets';
import { buildMethod } from '../../lib/distill/methods';
import { assertMethodConfig, METHOD_SMOKE_CONFIGS } from '../../lib/distill/methods';
import { type DistillMethod, type StepContext, trainableVariables } from '../../lib/distill/method';
import type { SRBatch } from '../../lib/types';

const fx = useTinyNets();

/** Methods that train variables of their own besides the student's. */
const OWN_TRAINABLE = new Set(['fitnet']);

const ctxOf = (step: number, sampleOffset: number): StepContext => ({ step, seed: 7, sampleOffset, batchSizeTotal: 4 });

const built: DistillMethod[] = [];
afterEach(() => built.splice(0).forEach((m) => m.dispose?.()));
/** The method of `config`, initialised on the suite's nets (disposed after the test). */
function make(config: Parameters<typeof buildMethod>[0]): DistillMethod {
  const m = buildMethod(config);
  built.push(m);
  m.init?.(fx.nets);
  return m;
}

type Totals = Record<string, number[]>;
const shareBatch = (start: number, size: number): SRBatch => ({ lr: tf.slice(fx.lr, [start], [size]), hr: tf.slice(fx.hr, [start], [size]) });
/** prepare as the engines call it: methods with `wholeBatch` (CSD's negatives) also get the whole batch. */
const prepare = (m: DistillMethod, batch: SRBatch, ctx: StepContext) => m.prepare(batch, fx.nets, ctx, m.wholeBatch ? { lr: fx.lr, hr: fx.hr } : undefined);

/** Batch-coupled methods: the shares' statistics added over `cuts` (what the engines all-reduce); else undefined. */
function totalsOver(m: DistillMethod, step: number, cuts: readonly (readonly [number, number])[]): Totals | undefined {
  if (!m.shareStats) return undefined;
  const out: Totals = {};
  for (const [start, size] of cuts) {
    const batch = shareBatch(start, size);
    const prep = prepare(m, batch, ctxOf(step, start));
    const stats = m.shareStats(fx.nets, batch, prep, ctxOf(step, start));
    for (const [k, t] of Object.entries(stats)) {
      const v = Array.from(t.dataSync());
      out[k] = out[k] ? out[k].map((x, i) => x + v[i]) : v;
    }
    tf.dispose([prep, batch, stats]);
  }
  return out;
}

/** Terms and named gradients of the summed terms for a share [start, start + size) of the batch. */
function share(m: DistillMethod, step: number, start: number, size: number, group?: number, totals?: Totals) {
  const batch = shareBatch(start, size);
  const prep = prepare(m, batch, ctxOf(step, start));
  try {
    let terms: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      terms = m.terms(fx.nets, batch, prep, { ...(group === undefined ? {} : { group }), ...(totals ? { totals } : {}) });
      for (const t of Object.values(terms)) tf.keep(t);
      return tf.addN(Object.values(terms)) as tf.Scalar;
    });
    const termValues = Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, v.dataSync()[0]]));
    const gradValues = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Array.from(g.dataSync())]));
    const ranks = Object.values(terms).map((t) => t.rank);
    tf.dispose([value, grads, terms]);
    return { termValues, gradValues, ranks };
  } finally {
    tf.dispose([prep, batch]);
  }
}

describe.each(METHOD_SMOKE_CONFIGS.map((c) => [c.name, c.config] as const))('contract: %s', (_name, config) => {
  it('config is valid and survives a JSON round trip', () => {
    const back = JSON.parse(JSON.stringify(config)) as unknown;
    expect(back).toEqual(config);
    assertMethodConfig(back);
    const m = make(back);
    expect(m.termNames).toEqual(make(config).termNames);
    expect(m.id).toBe(config.kind);
    expect(m.termGroups.flat()).toEqual(m.termNames);
  });

  it('terms are finite scalars named termNames; gradients reach exactly trainable(), nothing else', () => {
    const m = make(config);
    const r = share(m, 0, 0, 4);
    expect(Object.keys(r.termValues)).toEqual(m.termNames);
    expect(r.ranks.every((k) => k === 0)).toBe(true);
    expect(Object.values(r.termValues).every(Number.isFinite)).toBe(true);
    // the student's parameters first, in order, then only variables the method owns (FitNet's regressors);
    // CSD trains the shared weights (the teacher network) instead
    const trainable = trainableVariables(m, fx.nets).map((v) => v.name);
    const owner = config.kind === 'csd' ? fx.teacher : fx.student;
    const other = owner === fx.student ? fx.teacher : fx.student;
    const ownerNames = Array.from(owner.params.values()).map((v) => v.name);
    expect(trainable.slice(0, ownerNames.length)).toEqual(ownerNames);
    const own = trainable.slice(ownerNames.length);
    expect(own.length > 0).toBe(OWN_TRAINABLE.has(config.kind));
    expect(Object.keys(r.gradValues).sort()).toEqual([...trainable].sort());
    const otherNames = new Set(Array.from(other.params.values()).map((v) => v.name));
    expect(Object.keys(r.gradValues).some((k) => otherNames.has(k))).toBe(false);
    expect(own.some((k) => otherNames.has(k) || ownerNames.includes(k))).toBe(false);
    expect(Object.values(r.gradValues).every((g) => g.every(Number.isFinite))).toBe(true);
  });

  it('each term group computes exactly its terms', () => {
    const m = make(config);
    m.termGroups.forEach((names, g) => {
      const r = share(m, 1, 0, 2, g);
      expect(Object.keys(r.termValues)).toEqual(names);
    });
  });

  it('tensor count stays flat across repeated prepare + terms + gradient + dispose', () => {
    const m = make(config);
    share(m, 0, 0, 4); // warm-up
    const before = tf.memory().numTensors;
    share(m, 1, 0, 4);
    share(m, 2, 0, 4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('worker invariance: one share of 4 = size-weighted mean of shares of 2 (+2), and of 1 + 3', () => {
    const m = make(config);
    for (const step of [5]) {
      const full = share(m, step, 0, 4, undefined, totalsOver(m, step, [[0, 4]]));
      for (const cut of [2, 1]) {
        const totals = totalsOver(m, step, [[0, cut], [cut, 4 - cut]]);
        const a = share(m, step, 0, cut, undefined, totals);
        const b = share(m, step, cut, 4 - cut, undefined, totals);
        const wa = cut / 4;
        const wb = 1 - wa;
        for (const k of Object.keys(full.termValues)) {
          expect(wa * a.termValues[k] + wb * b.termValues[k]).toBeCloseTo(full.termValues[k], 5);
        }
        for (const k of Object.keys(full.gradValues)) {
          const g = full.gradValues[k];
          const scale = Math.max(1e-3, ...g.map(Math.abs));
          g.forEach((v, i) => expect(Math.abs(wa * a.gradValues[k][i] + wb * b.gradValues[k][i] - v) / scale).toBeLessThan(1e-4));
        }
      }
    }
  });
});
