/**
 * DCKD's history model lagging the student, read from a run's checkpoints: at every checkpoint the student (raw
 * weights, weights.bin), its EMA (ema.bin, what evaluation uses and the code's history source) and the history
 * model (method-state.bin: DCKD's `stateVariables`, the student's parameters in the same order) are scored on
 * held-out images with the paper's protocol. A run trained with `checkpointEverySteps: 1` and enough
 * `keepCheckpoints` gives the curve step by step; the history model should trail the EMA by about one update
 * period (it moves 90 % of the way to the EMA at each update, alpha = 0.1).
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../models/build';
import type { PlotFigure } from '../viz/plot';
import type { SRNet } from '../models/types';
import { checkpointDir, listCheckpoints, loadCheckpoint } from '../train/checkpoint';
import { type HeldOutSet, scoreHeldOut } from './held-out';

export type HistoryLagPoint = {
  /** Completed iterations at the checkpoint. */
  readonly step: number;
  readonly set: string;
  /** PSNR of the raw student weights. */
  readonly student: number;
  /** PSNR of the student's EMA (null without EMA). */
  readonly ema: number | null;
  /** PSNR of the history model. */
  readonly history: number;
};

function assign(net: SRNet, values: readonly Float32Array[], what: string): void {
  const vars: tf.Variable[] = Array.from(net.params.values());
  if (vars.length !== values.length) throw new Error(`${what}: ${values.length} tensors for a net of ${vars.length} parameters`);
  vars.forEach((v, i) => {
    if (v.size !== values[i].length) throw new Error(`${what}: tensor ${i} has ${values[i].length} values, parameter '${v.name}' needs ${v.size}`);
    tf.tidy(() => v.assign(tf.tensor(values[i], v.shape, 'float32')));
  });
}

/**
 * PSNR (first held-out set) of the student, its EMA and the history model at every checkpoint of a DCKD run
 * (see the file comment). Throws naming the checkpoint when it holds no method state (not a DCKD run).
 */
export async function dckdHistoryLag(runDir: string, sets: readonly HeldOutSet[], limit: number | null = null): Promise<HistoryLagPoint[]> {
  if (sets.length === 0) throw new Error('dckdHistoryLag: no held-out set to score on');
  const out: HistoryLagPoint[] = [];
  for (const step of listCheckpoints(runDir)) {
    const ck = loadCheckpoint(checkpointDir(runDir, step));
    if (ck.config.method.kind !== 'dckd' || !ck.methodState) throw new Error(`checkpoint ${ck.dir}: no DCKD history model (method ${ck.config.method.kind}, method-state.bin ${ck.methodState ? 'present' : 'absent'})`);
    const net = buildModel(ck.config.student, ck.config.scale, { seed: 0 });
    try {
      const psnr = async (values: readonly Float32Array[], what: string): Promise<number> => {
        assign(net, values, `${ck.dir} ${what}`);
        return (await scoreHeldOut(net, sets.slice(0, 1), limit))[0].psnr;
      };
      const student = await psnr(ck.weights, 'weights.bin');
      const ema = ck.ema ? await psnr(ck.ema, 'ema.bin') : null;
      const history = await psnr(ck.methodState, 'method-state.bin');
      out.push({ step, set: sets[0].name, student, ema, history });
    } finally {
      net.dispose();
    }
  }
  return out;
}

/** The three PSNR curves over steps (student, EMA, history model), with the update steps marked when given. */
export function historyLagFigure(points: readonly HistoryLagPoint[], opts: { readonly updateSteps?: readonly number[]; readonly note?: string | null } = {}): PlotFigure {
  const x = points.map((p) => p.step);
  const line = (name: string, y: (number | null)[], dash?: string): object => ({ type: 'scatter', mode: 'lines+markers', name, x, y, ...(dash ? { line: { dash } } : {}) });
  const marks = (opts.updateSteps ?? []).map((s) => ({ type: 'line', x0: s, x1: s, yref: 'paper', y0: 0, y1: 1, line: { width: 1, dash: 'dot', color: '#999' } }));
  return {
    data: [line('student (raw weights)', points.map((p) => p.student), 'dot'), line('student EMA', points.map((p) => p.ema)), line('history model', points.map((p) => p.history))],
    layout: {
      title: { text: `DCKD history model vs student: PSNR on ${points[0]?.set ?? ''} per step${opts.updateSteps?.length ? ' (dotted: history updates)' : ''}${opts.note ? ` (${opts.note})` : ''}` },
      xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'PSNR (dB)' } }, shapes: marks,
    },
  };
}
