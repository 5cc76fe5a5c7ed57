/** Seed lists, and that a seed of the preset's default keeps the run ids of jobs made before seeds existed. */
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../lib/cli/command';
import { parseReproduceArgs, reproduceCommand, reproduceRowIds } from '../../lib/cli/commands/reproduce';
import { runIdSuffix } from '../../lib/config/hash';
import { ablationPair, rowConfig } from '../../lib/reproduce/job-config';
import { parseSeedList, resolveSeeds } from '../../lib/reproduce/seeds';

describe('seed lists', () => {
  it('parses lists and ranges', () => {
    expect(parseSeedList('0,1,2')).toEqual([0, 1, 2]);
    expect(parseSeedList('0-3, 7')).toEqual([0, 1, 2, 3, 7]);
    expect(parseSeedList('5')).toEqual([5]);
  });

  it('rejects bad lists, naming the part at fault', () => {
    expect(() => parseSeedList('0,x')).toThrow(/--seeds takes integers >= 0 .*got 'x' in '0,x'/);
    expect(() => parseSeedList('1,1')).toThrow(/seed 1 is listed twice/);
    expect(() => parseSeedList('3-1')).toThrow(/range '3-1' runs backwards/);
    expect(() => parseSeedList('-1')).toThrow(/got '-1'/);
    expect(() => resolveSeeds([], 'smoke')).toThrow(/non-empty list/);
    expect(() => resolveSeeds([0.5], 'smoke')).toThrow(/integer >= 0 \(got 0.5\)/);
  });

  it("defaults to the preset's seed", () => {
    expect(resolveSeeds(undefined, 'quick')).toEqual([0]);
    expect(resolveSeeds(null, 'paper')).toEqual([0]);
    expect(resolveSeeds([2, 0], 'quick')).toEqual([2, 0]);
  });
});

describe('rowConfig with a seed', () => {
  const pair = ablationPair('quick');
  const cfg = (seed?: number) => rowConfig('quick', { scale: 2, method: 'dukd', pair, teacherWeights: '/t', seed });

  it('seed 0 (the default) is the config, and so the run id, of a job without seeds', () => {
    expect(cfg(0)).toEqual(cfg());
    expect(runIdSuffix(cfg(0))).toBe(runIdSuffix(cfg()));
    // the quick DUKD row's id as the kit named it before seeds existed (computed with the commit before them)
    expect(runIdSuffix(cfg(0))).toBe('dukd-edsrx2-0df2b23c');
  });

  it('other seeds change only the seed, and so the run id', () => {
    const a = cfg(0);
    const b = cfg(1);
    expect(b.seed).toBe(1);
    expect({ ...b, seed: 0 }).toEqual(a);
    expect(runIdSuffix(b)).not.toBe(runIdSuffix(a));
  });
});

describe('parseReproduceArgs', () => {
  const parse = (argv: string[]) => parseReproduceArgs(parseCommandArgs(reproduceCommand, argv));

  it('reads seeds, steps, rows and --no-report without running anything', () => {
    const p = parse(['ablation', '--preset', 'smoke', '--seeds', '0-2', '--steps', '40', '--rows', 'kd,scratch', '--no-report']);
    expect(p.options).toMatchObject({ preset: 'smoke', seeds: [0, 1, 2], steps: 40, onlyRows: ['kd', 'scratch'] });
    expect(p.report).toBe(false);
    expect(reproduceRowIds(p)).toEqual(['scratch', 'kd']);
    expect(parse(['main', '--backbone', 'swinir', '--preset', 'smoke']).options.seeds).toBeNull();
    expect(reproduceRowIds(parse(['main', '--backbone', 'swinir', '--preset', 'smoke']))).toEqual(['scratch', 'kd', 'dukd']);
  });

  it('names the flag at fault', () => {
    expect(() => parse(['ablation', '--steps', '0'])).toThrow('--steps must be an integer >= 1 (got 0)');
    expect(() => parse(['ablation', '--seeds', 'a'])).toThrow(/--seeds takes integers/);
    expect(() => reproduceRowIds(parse(['ablation', '--rows', 'x']))).toThrow(/--rows: unknown row 'x'/);
  });
});
