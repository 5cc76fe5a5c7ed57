import { benchKernels } from '../../lib/bench/kernels';
import { describe, expect, it } from 'vitest';
import { BENCH_CASES, caseGflop, formatBenchTable, resolveCase, runBenchmarks } from '../../lib/bench/index';

describe('bench cases', () => {
  it('reproduces the analytic work of spec/backends.md section 1', () => {
    expect(caseGflop(resolveCase('edsr-train', false, 2))).toBeCloseTo(438.6, 1);
    expect(caseGflop(resolveCase('student16-train', false, 2))).toBeCloseTo(16.4, 1);
    expect(caseGflop(resolveCase('edsr-infer', false, 2))).toBeCloseTo(65.0, 1);
  });

  it('quick mode shrinks the cases; unknown names fail listing the known ones', () => {
    const q = resolveCase('edsr-train', true, 2);
    expect(q.batch).toBeLessThan(16);
    expect(q.sizeLr).toBeLessThan(48);
    expect(() => resolveCase('nope', false, 2)).toThrow(new RegExp(BENCH_CASES.join(', ')));
  });

  it('runs a quick student case end to end (kit only) and formats it', async () => {
    const streamed: unknown[] = []; // onRow: what `bench --json` prints as each case ends
    const rows = await runBenchmarks({ cases: ['student16-train'], quick: true, repeats: 1, workers: 2, torch: false, log: () => {}, onRow: (r) => streamed.push(r) });
    expect(rows).toHaveLength(1);
    expect(streamed).toEqual(rows);
    const r = rows[0];
    expect(r.case).toBe('student16-train');
    expect(r.threads).toBe(2);
    expect(r.secondsMedian).toBeGreaterThan(0);
    expect(r.gflops).toBeCloseTo(r.gflopPerIteration / r.secondsMedian, 6);
    expect(r.note).toMatch(/quick/);
    expect(r.torch).toBeUndefined();
    expect(['plain', 'relaxed']).toContain(r.simd); // wasm here: the kit's SIMD kernels run in the workers
    expect(formatBenchTable(rows)).toMatch(/student16-train\s+wasm\s+(plain|relaxed)\s+2\s/);
  });

  it('benchKernels: stock, no-SIMD and kit columns for every kernel case', async () => {
    const rows = await benchKernels({ quick: true, reps: 1 });
    expect(rows.map((r) => r.kernel)).toEqual([
      'Conv2D', 'Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Conv2DBackpropFilter', 'Conv2DBackpropFilter',
      'BatchMatMul', 'BatchMatMul', 'Transpose', 'Transpose', 'Sum',
    ]);
    for (const r of rows) {
      expect(r.kit, r.shape).toBeGreaterThan(0);
      expect(r.stock === null, r.shape).toBe(r.kernel === 'Conv2DBackpropFilter'); // tfjs-backend-wasm has no filter gradient
      expect(r.kitNoSimd === null, r.shape).toBe(r.kernel === 'BatchMatMul' || r.shape.startsWith('Swin'));
    }
    expect(process.env.SRKD_SIMD_KERNELS).toBeUndefined(); // restored after the no-SIMD runs
  }, 120_000);
});
