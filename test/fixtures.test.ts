// The test data in test/fixtures is what its README says it is: every file listed there with its size and
// SHA-256, nothing unlisted, and the checkpoint digests agree with the ones the spec vectors publish.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_DIR, sharedPath } from './shared';

interface ListedFile {
  readonly bytes: number;
  readonly sha256: string;
}

/** The README's table rows: | `relative/path` | bytes | `sha256` |. */
function readListing(readme: string): Map<string, ListedFile> {
  const rows = new Map<string, ListedFile>();
  for (const m of fs.readFileSync(readme, 'utf8').matchAll(/^\| `([^`]+)` \| (\d+) \| `([0-9a-f]{64})` \|$/gm)) {
    if (rows.has(m[1])) throw new Error(`${readme}: ${m[1]} is listed twice`);
    rows.set(m[1], { bytes: Number(m[2]), sha256: m[3] });
  }
  return rows;
}

/** Every file under dir, as '/'-separated paths relative to it. */
function listFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const child = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, child) : [child];
  });
}

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('test/fixtures', () => {
  const listed = readListing(sharedPath('README.md'));

  it('lists exactly the files present (README.md aside)', () => {
    expect(listed.size).toBeGreaterThan(100);
    const present = listFiles(SHARED_DIR).filter((f) => f !== 'README.md').sort();
    expect(present.filter((f) => !listed.has(f))).toEqual([]); // present but not in the README
    expect([...listed.keys()].filter((f) => !present.includes(f))).toEqual([]); // in the README but missing
  });

  it('every file has the size and SHA-256 the README gives', () => {
    const wrong: string[] = [];
    for (const [rel, want] of listed) {
      const file = sharedPath(rel);
      if (!fs.existsSync(file)) continue; // reported by the listing test
      const bytes = fs.statSync(file).size;
      const digest = sha256(file);
      if (bytes !== want.bytes || digest !== want.sha256) wrong.push(`| \`${rel}\` | ${bytes} | \`${digest}\` |`);
    }
    expect(wrong).toEqual([]);
  });

  it('the checkpoint digests agree with those published in the spec vectors', () => {
    const published: Record<string, string> = {
      ...JSON.parse(fs.readFileSync(sharedPath('spec/vectors/checkpoint_fixtures.json'), 'utf8')).sha256,
      ...JSON.parse(fs.readFileSync(sharedPath('spec/vectors/aux_fixtures.json'), 'utf8')).sha256,
    };
    const names = fs.readdirSync(sharedPath('data/fixtures')).sort();
    expect(Object.keys(published).sort()).toEqual(names);
    for (const name of names) expect(listed.get(`data/fixtures/${name}`)?.sha256, name).toBe(published[name]);
  });
});

describe('nothing reads test data from outside the repository', () => {
  // The specs' data folder used to sit beside the checkout; a fresh clone has no such folder.
  // (`from '../shared'` is test/shared.ts, the locator of test/fixtures.)
  const outside = [/(?<!from ['"])\.\.\/shared\b/, /\bSRKD_SHARED\b/, /\bshared\/(data|spec)\//];
  const root = path.resolve(__dirname, '..');
  const self = path.relative(root, __filename).split(path.sep).join('/');

  it('no code, script, notebook or doc names the old ../shared folder', () => {
    const files = [
      ...['lib', 'test', 'scripts', 'notebooks', 'bin', 'jupyter', '.ci'].flatMap((d) => listFiles(root, d)),
      'README.md',
      'environment.md',
      'package.json',
      'vitest.config.ts',
    ].filter((f) => f !== self && !f.startsWith('test/fixtures/') && !/\.(wasm|png)$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    const hits = files.filter((f) => {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      return outside.some((re) => re.test(text));
    });
    expect(hits).toEqual([]);
  });
});
