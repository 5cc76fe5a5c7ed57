/**
 * DUKD Table 1 (params, FLOPs for a 3x256x256 LR input) recomputed by the kit's analytic counter (each
 * backbone's ArchSpec.complexity, fvcore convention = multiply-accumulates) beside the paper's numbers
 * (zoo.ts), optionally with a measured forward-pass rate on the current backend. `srkd model-stats` and
 * notebook 04 print it.
 *
 * FPS is measured on a small LR input (default 16x16) so that the whole table takes seconds, not minutes:
 * one warm-up forward, then timed forwards until 300 ms have passed (at most 10). It is a relative speed on
 * this backend, not the paper's GPU setting.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scale } from '../types';
import { analyticComplexity } from './archs/index';
import type { ArchConfig, SRNet } from './types';
import { ZOO, type ZooName } from './zoo';

/** The six DUKD Table 1 networks, in the paper's order. */
export const TABLE1_MODELS: readonly ZooName[] = [
  'edsr-teacher', 'edsr-student', 'rcan-teacher', 'rcan-student', 'swinir-teacher', 'swinir-student',
];

export interface FpsResult {
  /** LR input size (square) used for the measurement. */
  readonly size: number;
  readonly runs: number;
  readonly msPerForward: number;
  readonly fps: number;
}

export interface ModelStatsRow {
  readonly name: ZooName;
  readonly role: string;
  readonly arch: ArchConfig;
  readonly scale: Scale;
  readonly params: number;
  /** Multiply-accumulates (Table 1 "FLOPs") for a 3x256x256 LR input, in G. */
  readonly gmacs: number;
  /** The paper's numbers (x4 only); null where Table 1 has none or at other scales. */
  readonly paper: { readonly paramsM: number; readonly gflops: number } | null;
  readonly fps: FpsResult | null;
}

/** Analytic rows for `names` at `scale`. */
export function modelStatsRows(scale: Scale, names: readonly ZooName[] = TABLE1_MODELS): ModelStatsRow[] {
  return names.map((name) => {
    const e = ZOO[name];
    const c = analyticComplexity(e.arch, scale, 256, 256);
    return {
      name, role: e.role, arch: e.arch, scale, params: c.params, gmacs: c.macs / 1e9,
      paper: scale === 4 ? e.paperTable1 : null, fps: null,
    };
  });
}

/** Forward passes per second of `net` on a 1 x size x size x 3 input (warm-up excluded). */
export async function measureFps(net: SRNet, size: number, opts: { readonly minMs?: number; readonly maxRuns?: number } = {}): Promise<FpsResult> {
  const minMs = opts.minMs ?? 300;
  const maxRuns = opts.maxRuns ?? 10;
  const x = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 0) as tf.Tensor4D;
  try {
    const once = async (): Promise<void> => {
      const out = net.forward(x).out;
      try {
        await out.data(); // forces the computation on async backends
      } finally {
        out.dispose();
      }
    };
    await once();
    let runs = 0;
    const t0 = performance.now();
    do {
      await once();
      runs++;
    } while (runs < maxRuns && performance.now() - t0 < minMs);
    const ms = (performance.now() - t0) / runs;
    return { size, runs, msPerForward: ms, fps: 1000 / ms };
  } finally {
    x.dispose();
  }
}

function fmtParams(n: number): string {
  return `${(n / 1e6).toFixed(2)}M`;
}

/** Human-readable table: ours beside the paper's. */
export function formatModelStats(rows: readonly ModelStatsRow[], opts: { readonly backend?: string } = {}): string {
  const scale = rows[0]?.scale ?? 4;
  const fpsRow = rows.find((r) => r.fps !== null)?.fps ?? null;
  const head = ['model', 'params', 'paper', 'GFLOPs', 'paper'];
  if (fpsRow) head.push('FPS', 'ms');
  const body = rows.map((r) => {
    const cells = [
      r.name, fmtParams(r.params), r.paper ? `${r.paper.paramsM.toFixed(2)}M` : '-',
      r.gmacs.toFixed(2), r.paper ? r.paper.gflops.toFixed(2) : '-',
    ];
    if (fpsRow) cells.push(r.fps ? r.fps.fps.toFixed(2) : '-', r.fps ? r.fps.msPerForward.toFixed(1) : '-');
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [
    `DUKD Table 1 (x${scale}): parameters and FLOPs for a 3x256x256 LR input (FLOPs = multiply-accumulates, fvcore convention)` +
      (scale !== 4 ? '; the paper lists x4 only' : ''),
    line(head),
    ...body.map(line),
  ];
  if (fpsRow) {
    out.push(`FPS: forward passes per second on ${opts.backend ?? 'this backend'} with a 1x3x${fpsRow.size}x${fpsRow.size} LR input ` +
      '(small, to keep the measurement quick; not comparable to GPU numbers at 256x256)');
  }
  return out.join('\n') + '\n';
}
