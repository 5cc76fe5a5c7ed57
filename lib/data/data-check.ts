/**
 * What is present under a data root (`srkd data check`): for DIV2K train/valid, Flickr2K and each
 * benchmark set, how many HR images there are (against the official count) and, per scale, how many have
 * their LR counterpart. Only folder listings: nothing is decoded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type LayoutStatus = {
  readonly name: string;
  readonly hrDir: string;
  /** Official number of images, or null when not fixed. */
  readonly expected: number | null;
  readonly hr: number;
  /** Per scale: HR images with an LR file, and the first few HR names without one. */
  readonly lr: Readonly<Record<string, { readonly present: number; readonly missing: readonly string[] }>>;
  /** 'complete': every expected HR and LR image is there; 'partial': some are; 'absent': no HR folder. */
  readonly status: 'complete' | 'partial' | 'absent';
};

const SCALES = [2, 3, 4] as const;
const SHOW_MISSING = 5;

function listNames(dir: string): string[] | null {
  try {
    return fs.readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch {
    return null;
  }
}

function checkLayout(name: string, hrDir: string, lrDir: (s: number) => string, expected: number | null): LayoutStatus {
  const hrNames = (listNames(hrDir) ?? []).filter((n) => /\.(png|jpe?g|bmp|tiff?|webp)$/i.test(n));
  const lr: Record<string, { present: number; missing: string[] }> = {};
  let complete = hrNames.length > 0 && (expected === null || hrNames.length === expected);
  for (const s of SCALES) {
    const have = new Set(listNames(lrDir(s)) ?? []);
    const missing: string[] = [];
    let present = 0;
    for (const n of hrNames) {
      const want = `${n.replace(/\.[^.]+$/, '')}x${s}.png`;
      if (have.has(want)) present++;
      else if (missing.length < SHOW_MISSING) missing.push(want);
    }
    lr[`x${s}`] = { present, missing };
    if (present !== hrNames.length) complete = false;
  }
  const status = !fs.existsSync(hrDir) ? 'absent' : complete ? 'complete' : 'partial';
  return { name, hrDir, expected, hr: hrNames.length, lr, status };
}

/** Benchmark sets looked for under `<root>/benchmark`, with their image counts. */
export const BENCHMARK_SETS: Readonly<Record<string, number>> = { Set5: 5, Set14: 14, B100: 100, Urban100: 100 };

/** Status of every known layout under `root`. */
export function checkDataRoot(root: string): LayoutStatus[] {
  const r = path.resolve(root);
  const out: LayoutStatus[] = [
    checkLayout('DIV2K train', path.join(r, 'DIV2K_train_HR'), (s) => path.join(r, 'DIV2K_train_LR_bicubic', `X${s}`), 800),
    checkLayout('DIV2K valid', path.join(r, 'DIV2K_valid_HR'), (s) => path.join(r, 'DIV2K_valid_LR_bicubic', `X${s}`), 100),
    checkLayout('Flickr2K', path.join(r, 'Flickr2K_HR'), (s) => path.join(r, 'Flickr2K_LR_bicubic', `X${s}`), 2650),
  ];
  const bench = path.join(r, 'benchmark');
  const extra = (listNames(bench) ?? []).filter((n) => !(n in BENCHMARK_SETS) && fs.existsSync(path.join(bench, n, 'HR'))).sort();
  for (const set of [...Object.keys(BENCHMARK_SETS), ...extra]) {
    const dir = path.join(bench, set);
    out.push(checkLayout(set, path.join(dir, 'HR'), (s) => path.join(dir, 'LR_bicubic', `X${s}`), BENCHMARK_SETS[set] ?? null));
  }
  return out;
}

/** One line per layout, e.g. `DIV2K train   800/800 HR   x2 800  x3 800  x4 800   complete`. */
export function formatDataCheck(root: string, rows: readonly LayoutStatus[]): string {
  const w = Math.max(...rows.map((r) => r.name.length));
  const lines = rows.map((r) => {
    if (r.status === 'absent') return `${r.name.padEnd(w)}  absent (${r.hrDir})`;
    const lr = SCALES.map((s) => `x${s} ${String(r.lr[`x${s}`].present).padStart(4)}`).join('  ');
    const miss = SCALES.flatMap((s) => r.lr[`x${s}`].missing.slice(0, 2)).slice(0, 3);
    const count = `${r.hr}/${r.expected ?? '?'}`.padStart(9);
    return `${r.name.padEnd(w)}  ${count} HR  ${lr}  ${r.status}` +
      (miss.length ? `  (missing e.g. ${miss.join(', ')})` : '');
  });
  return `Data root: ${path.resolve(root)}\n${lines.join('\n')}\n`;
}
