// README's Layout table names every folder of lib/, and the files its recipes point to exist.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const layout = README.slice(README.indexOf('## Layout'), README.indexOf('## Notebooks'));

describe('README layout', () => {
  it('covers every folder of lib/', () => {
    const dirs = fs.readdirSync(path.join(ROOT, 'lib'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `lib/${e.name}`);
    const named = new Set([...layout.matchAll(/`(lib\/[a-z-]+)`/g)].map((m) => m[1]));
    expect(dirs.filter((d) => !named.has(d))).toEqual([]);
  });

  it('the recipes name files that exist', () => {
    const files = [...layout.matchAll(/`(lib\/[a-z-/]+\.ts|test\/[a-z-/]+\.test\.ts)`/g)].map((m) => m[1]);
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => !fs.existsSync(path.join(ROOT, f)))).toEqual([]);
  });
});
