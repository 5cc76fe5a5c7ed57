// The library (everything under lib/ but lib/cli) never imports from lib/cli: notebooks and scripts use lib,
// the CLI is a thin layer on top of it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const LIB = path.resolve(__dirname, '../lib');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('lib layering', () => {
  it('no file outside lib/cli imports a lib/cli module', () => {
    const offenders: string[] = [];
    for (const file of tsFiles(LIB)) {
      if (file.startsWith(path.join(LIB, 'cli') + path.sep)) continue;
      const src = fs.readFileSync(file, 'utf8');
      for (const m of src.matchAll(/(?:from|require\()\s*'([^']+)'/g)) {
        if (!m[1].startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), m[1]);
        if (target === path.join(LIB, 'cli') || target.startsWith(path.join(LIB, 'cli') + path.sep)) offenders.push(`${path.relative(LIB, file)} -> ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
