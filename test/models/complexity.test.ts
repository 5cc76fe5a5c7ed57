import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../lib/models/build';
import { analyticComplexity } from '../../lib/models/archs/index';
import { countParams } from '../../lib/models/complexity';
import { ZOO, type ZooName } from '../../lib/models/zoo';
import type { Scale } from '../../lib/types';
import { loadVector } from './vectors';

type Row = { name: string; params: number; gflops: number; paper_table1: [string, string] | null };
const rows = loadVector<{ configs: Row[] }>('model_complexity.json').configs;

// model_complexity.json name prefix -> zoo entry
const NAME_TO_ZOO: Record<string, ZooName> = {
  EDSR_c256_b32: 'edsr-teacher',
  EDSR_c64_b32: 'edsr-student',
  EDSR_c16_b32: 'edsr-student-c16',
  EDSR_baseline_c64_b16: 'edsr-baseline',
  RCAN_c64_g10_b20: 'rcan-teacher',
  RCAN_c64_g10_b6: 'rcan-student',
  SwinIR_e180_d6x6: 'swinir-teacher',
  SwinIR_e60_d6x4_pixelshuffle: 'swinir-student',
  SwinIR_e60_d6x4_pixelshuffledirect: 'swinir-lightweight',
};

const cases = rows.map((r) => {
  const m = /^(.*)_x([234])$/.exec(r.name);
  if (!m) throw new Error(`unexpected name ${r.name}`);
  const zoo = NAME_TO_ZOO[m[1]];
  if (!zoo) throw new Error(`no zoo entry for ${r.name}`);
  return { row: r, zoo, scale: Number(m[2]) as Scale };
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('analytic complexity vs spec/vectors/model_complexity.json', () => {
  it('covers every row (27 = 9 models x 3 scales)', () => {
    expect(cases.length).toBe(27);
  });

  it.each(cases.map((c) => [c.row.name, c] as const))('%s: params exact, GMACs to 0.01 G', (_, c) => {
    const { params, macs } = analyticComplexity(ZOO[c.zoo].arch, c.scale, 256, 256);
    expect(params).toBe(c.row.params);
    expect(Math.abs(macs / 1e9 - c.row.gflops)).toBeLessThan(0.01);
    // the zoo carries the same numbers
    expect(ZOO[c.zoo].exact[c.scale]).toEqual({ params: c.row.params, gflops: c.row.gflops });
  });

  it('matches the printed Table 1 values at x4', () => {
    for (const c of cases.filter((x) => x.row.paper_table1 !== null)) {
      const paper = ZOO[c.zoo].paperTable1;
      expect(paper).not.toBeNull();
      expect(`${paper!.paramsM.toFixed(2)}M`).toBe(c.row.paper_table1![0]);
      expect(`${paper!.gflops.toFixed(2)}G`).toBe(c.row.paper_table1![1]);
      const { params, macs } = analyticComplexity(ZOO[c.zoo].arch, 4);
      expect((params / 1e6).toFixed(2)).toBe(paper!.paramsM.toFixed(2));
      expect((macs / 1e9).toFixed(2)).toBe(paper!.gflops.toFixed(2));
    }
  });
});

describe('actual variable counts of built networks', () => {
  // Builds every model (the EDSR teacher is 43M parameters, ~170 MB) one at a time and frees it.
  it.each(cases.map((c) => [c.row.name, c] as const))('%s', (_, c) => {
    const before = tf.memory().numTensors;
    const net = buildModel(ZOO[c.zoo].arch, c.scale, { seed: 0 });
    try {
      expect(countParams(net)).toBe(c.row.params);
    } finally {
      net.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
