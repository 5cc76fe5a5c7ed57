/**
 * The results of scripts/gpu-check.sh as one short Markdown report: the adapter, the verdicts, the quick
 * training run's speed, and the benchmark rows with each variant of the paper-scale case against the default
 * run (which flag or kit kernel makes the step faster). `npm run gpu:summary -- <folder>` prints it; what a
 * session pastes into environment.md after its GPU run.
 */
import type { BenchRow } from './index';

export interface GpuCheckFiles {
  /** adapter.json (BackendInfo); null when missing. */
  readonly adapter: string | null;
  readonly verdicts: string | null;
  readonly train: string | null;
  readonly bench: string | null;
}

type Adapter = { adapter?: { device?: string; description?: string; api?: string; software?: boolean } | null; kitKernels?: string[] };
type Verdicts = { failed: number; suites: Record<string, { seconds: number; unavailable?: string; error?: string; checks: { check: string; ok: boolean; message?: string }[] }> };
type BenchLine = { variant: string } | BenchRow;

function jsonLines(text: string | null): unknown[] {
  return (text ?? '').split('\n').filter((l) => l.trim().startsWith('{')).flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return []; // a line cut off when a time limit stopped the run
    }
  });
}

/** The file's JSON, or a reason it has none: a time limit can stop a step before (or while) it writes. */
function jsonFile<T>(name: string, text: string | null): T | string {
  if (!text || !text.trim()) return `${name} missing or empty`;
  try {
    return JSON.parse(text) as T;
  } catch {
    return `${name} is not JSON (cut short?): ${JSON.stringify(text.slice(0, 80))}`;
  }
}

const fmt = (v: number | null | undefined, digits: number): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** One table row for a bench row under `variant` ('' for the default run). */
function rowCells(variant: string, r: BenchRow, base: BenchRow | undefined): string[] {
  const m = r.method;
  const d = r.dckd;
  const profile = m?.profile ?? d?.profile;
  const speedup = base && base !== r && base.case === r.case ? base.secondsMedian / r.secondsMedian : null;
  return [
    r.case, variant || 'default', fmt(r.secondsMedian, 3), fmt(m?.hostSecondsMedian ?? d?.hostSecondsMedian, 3), speedup === null ? '' : `${speedup.toFixed(2)}x`,
    m ? fmt(m.tflops, 2) : fmt(r.gflops / 1000, 3), m?.fractionOfPeak == null ? '-' : `${(100 * m.fractionOfPeak).toFixed(1)} %`,
    fmt(m?.gpuMemoryMiB ?? d?.gpuMemoryMiB, 0), m ? fmt(m.projectedHours, 1) : '-',
    profile ? `${profile.kernels}${profile.dispatches === null ? '' : ` / ${profile.dispatches}`}` : '-',
    profile?.busyFraction == null ? '-' : `${(100 * profile.busyFraction).toFixed(0)} %`,
    profile ? profile.top.slice(0, 3).map((k) => `${k.name}${k.tflops === null ? '' : ` ${k.tflops.toFixed(1)} TF/s`}`).join(', ') : '',
  ];
}

export function summarizeGpuCheck(files: GpuCheckFiles): string {
  const out: string[] = [];
  const parsed = jsonFile<Adapter>('adapter.json', files.adapter);
  const adapter = typeof parsed === 'string' ? null : parsed;
  const a = adapter?.adapter;
  out.push(`**Adapter:** ${a ? `${a.device || 'unnamed'} (${a.api ?? '?'}${a.software ? ', software' : ''}${a.description ? `, ${a.description}` : ''})` : typeof parsed === 'string' ? parsed : 'none'}`);
  if (adapter?.kitKernels) out.push(`**Kit kernels:** ${adapter.kitKernels.join(', ') || 'none'}`);

  const v = jsonFile<Verdicts>('verdicts.json', files.verdicts);
  if (typeof v !== 'string') {
    const suites = Object.entries(v.suites).map(([name, s]) => {
      if (s.unavailable || s.error) return `${name}: ${s.unavailable ? 'unavailable' : 'error'}`;
      return `${name} ${s.checks.filter((c) => c.ok).length}/${s.checks.length}`;
    });
    out.push(`**Verdicts:** ${v.failed === 0 ? 'all passed' : `${v.failed} failed`} (${suites.join(', ')})`);
    for (const s of Object.values(v.suites)) for (const c of s.checks) if (!c.ok) out.push(`- FAILED: ${c.check}: ${c.message ?? ''}`);
  } else out.push(`**Verdicts:** ${v}`);

  const progress = jsonLines(files.train).filter((e) => (e as { event?: string }).event === 'progress') as { step: number; totalSteps: number; secPerStep: number }[];
  const last = progress[progress.length - 1];
  out.push(`**Quick DUKD run:** ${last ? `${last.step}/${last.totalSteps} steps, ${fmt(last.secPerStep, 4)} s/step at the last log line` : 'no progress lines'}`);

  const rows: { variant: string; row: BenchRow }[] = [];
  let variant = '';
  for (const l of jsonLines(files.bench) as BenchLine[]) {
    // 'VAR=' (an empty setting, e.g. the DCKD case's own process) is the default run too
    if ('variant' in l) variant = /^[A-Z_]+=$/.test(l.variant) ? '' : l.variant;
    else rows.push({ variant, row: l });
  }
  if (!rows.length) {
    out.push('**Bench:** no rows');
    return `${out.join('\n')}\n`;
  }
  const defaults = new Map<string, BenchRow>();
  for (const { variant: v, row } of rows) if (!v && !defaults.has(row.case)) defaults.set(row.case, row);
  const head = ['case', 'variant', 's/iter', 'ops issued s', 'vs default', 'TFLOP/s', '% FP32 peak', 'GPU MiB', '250k h', 'kernels / dispatches', 'busy', 'top kernels'];
  out.push('', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const { variant: v, row } of rows) out.push(`| ${rowCells(v, row, defaults.get(row.case)).join(' | ')} |`);
  return `${out.join('\n')}\n`;
}
