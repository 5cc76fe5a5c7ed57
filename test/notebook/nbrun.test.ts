/**
 * scripts/nbrun.js and scripts/nbstrip.js end to end. Each notebook costs a child process with
 * tslab's TypeScript (~1.5-4 s), so all runner cases go through one nbrun invocation.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');

type Cell = { src: string; tags?: string[]; timeout?: number };
type Output = { output_type: string; name?: string; text?: string[]; data?: Record<string, string[]> };
type SavedCell = { cell_type: string; execution_count: number | null; outputs: Output[] };

function writeNotebook(file: string, cells: Cell[]): void {
  const nb = {
    cells: cells.map((c, i) => ({
      cell_type: 'code',
      execution_count: null,
      id: `c${i}`,
      metadata: { ...(c.tags ? { tags: c.tags } : {}), ...(c.timeout ? { timeout: c.timeout } : {}) },
      outputs: [],
      source: c.src,
    })),
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript (tslab)', language: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
}

const runNode = (args: string[]) => spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });

describe('nbrun', () => {
  let dir = '';
  let out = '';
  let result: ReturnType<typeof runNode>;
  const nb = (name: string) => path.join(dir, `${name}.ipynb`);
  const saved = (name: string): SavedCell[] => JSON.parse(fs.readFileSync(path.join(out, `${name}.ipynb`), 'utf8')).cells;
  const section = (name: string): string => {
    // the summary line of this notebook and the failure details printed under it
    const lines = result.stdout.split('\n');
    const start = lines.findIndex((l) => / \S*\.ipynb /.test(l) && l.includes(`${name}.ipynb`));
    if (start < 0) return '';
    let end = start + 1;
    while (end < lines.length && lines[end].startsWith('  ')) end++;
    return lines.slice(start, end).join('\n');
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-nbrun-'));
    out = path.join(dir, 'out');
    writeNotebook(nb('passes'), [
      { src: 'const x: number = 20 + 1;\nconsole.log("x is", x);' },
      { src: 'import * as tslab from "tslab";\ntslab.display.html("<i>shown</i>");\nconst d = tslab.newDisplay();\nd.text("first");\nd.text("latest");' },
      { src: 'throw new Error("expected failure")', tags: ['raises-exception'] },
      { src: 'const n: number = "not a number";', tags: ['raises-exception'] }, // a type error fails a cell
      { src: 'throw new Error("never runs")', tags: ['skip-execution'] },
      { src: 'await new Promise((r) => setTimeout(r, 5));\nx * 2' },
    ]);
    writeNotebook(nb('throws'), [{ src: 'const a = 1;' }, { src: 'console.log("before");\nthrow new Error("kaboom in cell 1");' }, { src: 'console.log("unreached");' }]);
    writeNotebook(nb('unawaited'), [{ src: 'Promise.reject(new Error("nobody awaits this"));' }, { src: 'console.log("unreached");' }]);
    writeNotebook(nb('raises-nothing'), [{ src: 'const fine = 1;', tags: ['raises-exception'] }]);
    writeNotebook(nb('hangs'), [{ src: 'await new Promise(() => {});', timeout: 0.5 }]);
    const names = ['passes', 'throws', 'unawaited', 'raises-nothing', 'hangs'];
    result = runNode(['scripts/nbrun.js', '--quiet', '--out', out, '--timeout-notebook', '100', ...names.map(nb)]);
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports every notebook and ends with the count line', () => {
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('1 passed, 4 failed');
    expect(result.status).toBe(1);
  });

  it('saves a passing notebook with its outputs', () => {
    expect(section('passes')).toMatch(/^PASS /);
    const cells = saved('passes');
    expect(cells[0].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: ['x is 21\n'] }]);
    expect(cells[0].execution_count).toBe(1);
    const displays = cells[1].outputs.filter((o) => o.output_type === 'display_data');
    expect(displays.map((o) => o.data)).toEqual([{ 'text/html': ['<i>shown</i>'] }, { 'text/plain': ['latest'] }]);
    expect(JSON.stringify(cells[3].outputs)).toContain("Type 'string' is not assignable to type 'number'");
    expect(cells[4].outputs).toEqual([]); // skip-execution
    expect(cells[4].execution_count).toBeNull();
    expect(cells[5].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: ['42\n'] }]);
  });

  it('names the failing cell with its source and error, and stops there', () => {
    const text = section('throws');
    expect(text).toMatch(/^FAIL .* at cell 1/);
    expect(text).toContain('throw new Error("kaboom in cell 1");');
    expect(text).toContain('Error: kaboom in cell 1');
    expect(text).toContain('before');
    const cells = saved('throws');
    expect(cells[1].outputs.some((o) => o.output_type === 'error')).toBe(true);
    expect(cells[2].execution_count).toBeNull();
  });

  it('fails on an un-awaited rejection', () => {
    const text = section('unawaited');
    expect(text).toMatch(/^FAIL .* at cell 0/);
    expect(text).toContain('nobody awaits this');
    expect(saved('unawaited')[1].execution_count).toBeNull();
  });

  it('requires raises-exception cells to raise', () => {
    expect(section('raises-nothing')).toContain('tagged raises-exception but did not raise');
  });

  it('interrupts a cell at its metadata.timeout', () => {
    expect(section('hangs')).toMatch(/timed out after 0\.5 s/);
  });
});

describe('nbstrip', () => {
  it('removes outputs and counts; --check fails until then', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-nbstrip-'));
    try {
      const file = path.join(dir, 'x.ipynb');
      const nb = {
        cells: [
          { cell_type: 'markdown', id: 'm', metadata: {}, source: '# t' },
          { cell_type: 'code', id: 'c', execution_count: 3, metadata: { execution: { t: 1 } }, outputs: [{ output_type: 'stream', name: 'stdout', text: ['1\n'] }], source: '1' },
        ],
        metadata: {},
        nbformat: 4,
        nbformat_minor: 5,
      };
      fs.writeFileSync(file, JSON.stringify(nb));
      expect(runNode(['scripts/nbstrip.js', '--check', file]).status).toBe(1);
      expect(runNode(['scripts/nbstrip.js', file]).status).toBe(0);
      const stripped = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(stripped.cells[1]).toEqual({ cell_type: 'code', id: 'c', execution_count: null, metadata: {}, outputs: [], source: '1' });
      expect(stripped.cells[0]).toEqual(nb.cells[0]);
      expect(runNode(['scripts/nbstrip.js', '--check', file]).status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('committed notebooks are stripped', () => {
    const dir = path.join(ROOT, 'notebooks');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).map((f) => path.join(dir, f));
    expect(files.length).toBeGreaterThan(0);
    const r = runNode(['scripts/nbstrip.js', '--check', ...files]);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
