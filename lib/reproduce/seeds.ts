/**
 * The seeds a reproduction job trains each row with. A seed sets the student's initialisation and the order of
 * the training patches (TrainConfig.seed), so seed s of two rows is a paired comparison. The default is the
 * preset's own seed (0): a job without seeds trains exactly the runs it trained before seeds existed (same
 * config, same run ids). The shared teacher is trained once, with its own seed, whatever the students' seeds.
 */
import { PRESETS } from '../config/presets';
import type { PresetName } from '../config/presets';

/** Throws a message naming `what` unless `seeds` is a non-empty list of distinct integers >= 0. */
export function assertSeeds(seeds: readonly unknown[], what = 'seeds'): asserts seeds is readonly number[] {
  if (!Array.isArray(seeds) || seeds.length === 0) throw new Error(`${what} must be a non-empty list of integers >= 0 (got ${JSON.stringify(seeds)})`);
  const seen = new Set<number>();
  for (const s of seeds) {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw new Error(`${what}: each seed must be an integer >= 0 (got ${JSON.stringify(s)})`);
    if (seen.has(s)) throw new Error(`${what}: seed ${s} is listed twice`);
    seen.add(s);
  }
}

/** The job's seeds: the given ones (validated), else the preset's seed alone. */
export function resolveSeeds(seeds: readonly number[] | null | undefined, preset: PresetName): readonly number[] {
  if (seeds === null || seeds === undefined) return [PRESETS[preset].seed];
  assertSeeds(seeds);
  return [...seeds];
}

/** `0,1,2` or a range `0-4` (or both: `0-2,7`) as a seed list; the error names `flag` and the bad part. */
export function parseSeedList(text: string, flag = '--seeds'): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a) throw new Error(`${flag}: range '${part}' runs backwards`);
      for (let s = a; s <= b; s++) out.push(s);
    } else if (/^\d+$/.test(part)) {
      out.push(Number(part));
    } else {
      throw new Error(`${flag} takes integers >= 0 separated by commas, or ranges a-b (got '${part}' in '${text}')`);
    }
  }
  assertSeeds(out, flag);
  return out;
}
