/**
 * lib/ has no import cycles between runtime (value) imports. tslab compiles lib/ to CommonJS, where a cycle
 * can leave a module half-initialised (one overflowed the stack in every notebook while vitest and ts-node
 * were fine), so the rule is checked here on the sources. Type-only imports are erased and do not count.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const LIB = path.join(__dirname, '..', 'lib');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative value imports of a file, resolved to .ts files (`import type` and all-`type` specifier lists skipped). */
function valueImports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+'(\.{1,2}\/[^']+)'/gms;
  for (const m of src.matchAll(re)) {
    if (m[2]) continue;
    const braces = /^\{([^}]*)\}$/s.exec(m[3].trim());
    if (braces && braces[1].split(',').map((x) => x.trim()).filter(Boolean).every((x) => x.startsWith('type '))) continue;
    const base = path.resolve(path.dirname(file), m[4]);
    for (const cand of [`${base}.ts`, path.join(base, 'index.ts')]) {
      if (fs.existsSync(cand)) {
        out.push(cand);
        break;
      }
    }
  }
  return out;
}

describe('lib/ import graph', () => {
  it('has no cycles between value imports', () => {
    const files = tsFiles(LIB);
    expect(files.length).toBeGreaterThan(50);
    const graph = new Map(files.map((f) => [f, valueImports(f)]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]): void => {
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g].map((x) => path.relative(LIB, x)).join(' -> '));
        else if (!state.has(g)) visit(g, [...stack, g]);
      }
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f, [f]);
    expect(cycles).toEqual([]);
  });
});
