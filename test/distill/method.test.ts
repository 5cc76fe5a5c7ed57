import { describe, expect, it } from 'vitest';
import { assertStepContext, deriveRng, fullBatchContext, needTeacher, sampleRng, stepRng } from '../../lib/distill/method';

const draw = (r: { nextUint32(): number }, n = 4): number[] => Array.from({ length: n }, () => r.nextUint32());

describe('deterministic RNG derivation', () => {
  it('same (seed, step, purpose, index) gives the same stream; any change gives another', () => {
    const a = draw(deriveRng(1, 10, 'p', 3));
    expect(draw(deriveRng(1, 10, 'p', 3))).toEqual(a);
    for (const other of [deriveRng(2, 10, 'p', 3), deriveRng(1, 11, 'p', 3), deriveRng(1, 10, 'q', 3), deriveRng(1, 10, 'p', 4), deriveRng(1, 10, 'p')]) {
      expect(draw(other)).not.toEqual(a);
    }
    expect(draw(deriveRng(-5, 2 ** 40, 'p', 0))).not.toEqual(draw(deriveRng(-5, 0, 'p', 0)));
  });

  it('stepRng ignores the share; sampleRng keys on the global sample index', () => {
    const c0 = { step: 4, seed: 9, sampleOffset: 0, batchSizeTotal: 8 };
    const c4 = { ...c0, sampleOffset: 4 };
    expect(draw(stepRng(c0, 'cells'))).toEqual(draw(stepRng(c4, 'cells')));
    expect(draw(sampleRng(c4, 'aug', 1))).toEqual(draw(sampleRng(c0, 'aug', 5)));
    expect(draw(sampleRng(c4, 'aug', 1))).not.toEqual(draw(sampleRng(c0, 'aug', 1)));
  });

  it('rejects non-integers', () => {
    expect(() => deriveRng(0.5, 0, 'p')).toThrow(/integers/);
  });
});

describe('context and teacher helpers', () => {
  it('assertStepContext names the bad field', () => {
    expect(() => assertStepContext(fullBatchContext(0, 1, 4), 4)).not.toThrow();
    expect(() => assertStepContext({ ...fullBatchContext(0, 1, 4), step: -1 }, 4)).toThrow(/ctx\.step must be an integer >= 0 \(got -1\)/);
    expect(() => assertStepContext({ ...fullBatchContext(0, 1, 4), seed: 1.5 }, 4)).toThrow(/ctx\.seed/);
    expect(() => assertStepContext({ step: 0, seed: 1, sampleOffset: 2, batchSizeTotal: 4 }, 3)).toThrow(/exceeds ctx\.batchSizeTotal 4/);
  });

  it('needTeacher names the method', () => {
    expect(() => needTeacher(null, 'fakd')).toThrow("method 'fakd' needs a teacher network (got null)");
  });
});
