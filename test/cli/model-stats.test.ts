// srkd model-stats: DUKD Table 1 recomputed beside the paper, human table and JSON, and a quick FPS measurement.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../cli-run';
import { modelStatsCommand } from '../../lib/cli/commands/model-stats';
import { TABLE1_MODELS, formatModelStats, measureFps, modelStatsRows } from '../../lib/models/table1';
import { buildModel } from '../../lib/models/build';
import { ZOO } from '../../lib/models/zoo';

beforeAll(async () => {
  process.env.SRKD_BACKEND = 'cpu';
  await tf.setBackend('cpu');
});

const run = (argv: string[]): Promise<{ code: number; out: string }> => runCommand(modelStatsCommand, argv);

describe('model-stats', () => {
  it('x4 rows reproduce the paper to the printed precision', () => {
    const rows = modelStatsRows(4);
    expect(rows.map((r) => r.name)).toEqual(TABLE1_MODELS);
    for (const r of rows) {
      expect(r.params).toBe(ZOO[r.name].exact[4].params);
      expect(r.gmacs).toBeCloseTo(ZOO[r.name].exact[4].gflops, 2);
      expect(r.paper).not.toBeNull();
      expect(Math.abs(r.params / 1e6 - r.paper!.paramsM)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(Math.abs(r.gmacs - r.paper!.gflops)).toBeLessThanOrEqual(0.005 + 1e-9);
    }
  });

  it('other scales have no paper column values', () => {
    const rows = modelStatsRows(2);
    expect(rows.every((r) => r.paper === null)).toBe(true);
    expect(rows[0].params).toBe(40729603);
  });

  it('human-readable table by default', async () => {
    const { code, out } = await run([]);
    expect(code).toBe(0);
    expect(out).toContain('DUKD Table 1 (x4)');
    expect(out).toMatch(/edsr-teacher\s+43\.09M\s+43\.09M\s+3293\.35\s+3293\.35/);
    expect(out).toMatch(/swinir-student\s+1\.24M\s+1\.24M\s+121\.48\s+121\.48/);
    expect(out).not.toContain('FPS');
  });

  it('--json --all --scale 3', async () => {
    const { out } = await run(['--json', '--all', '--scale', '3']);
    const j = JSON.parse(out);
    expect(j.scale).toBe(3);
    expect(j.rows.map((r: { name: string }) => r.name)).toEqual(Object.keys(ZOO));
  });

  it('--fps on a small model and input is quick and reported with its input size', async () => {
    const { out } = await run(['--models', 'edsr-student-c16', '--fps', '--fps-size', '8']);
    expect(out).toMatch(/edsr-student-c16\s+0\.17M\s+-\s+13\.32\s+-\s+\d+\.\d\d\s+\d+\.\d/);
    expect(out).toContain('1x3x8x8 LR input');
    const net = buildModel({ arch: 'edsr', feats: 4, blocks: 1, resScale: 0.1 }, 2);
    try {
      const before = tf.memory().numTensors;
      const r = await measureFps(net, 8, { minMs: 10, maxRuns: 3 });
      expect(r.runs).toBeGreaterThanOrEqual(1);
      expect(r.fps).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      net.dispose();
    }
    expect(formatModelStats(modelStatsRows(4, ['rcan-student']))).toContain('5.17M');
  });

  it('unknown model names are a usage error listing the zoo', async () => {
    await expect(run(['--models', 'edsr-huge'])).rejects.toThrow(/unknown model 'edsr-huge'; known: edsr-teacher/);
  });
});
