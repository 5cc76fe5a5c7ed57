// gpu-check's folder as a Markdown report (lib/bench/gpu-summary.ts): adapter, verdicts (failures listed),
// the quick run's speed, and the bench rows with each paper-case variant against the default run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeGpuCheck } from '../../lib/bench/gpu-summary';

const profile = (kernels: number, dispatches: number, busy: number) => ({
  kernels, dispatches, kernelSeconds: busy * 0.5, busyFraction: busy,
  top: [{ name: 'FusedConv2D', calls: 318, seconds: 0.2, flops: 7.6e12, tflops: 38.1 }, { name: 'Add', calls: 600, seconds: 0.01, flops: 0, tflops: null }],
});
const paper = (seconds: number) => ({
  case: 'dukd-paper', backend: 'webgpu', threads: 1, simd: null, secondsMedian: seconds, gflops: 9080 / seconds, gflopPerIteration: 9080, batch: 16, sizeLr: 48, repeats: 3,
  method: { secondsMedian: seconds, hostSecondsMedian: seconds / 4, gflopPerIteration: 9080, tflops: 9.08 / seconds, peakTflops: 67, fractionOfPeak: 9.08 / seconds / 67, gpuMemoryMiB: 20480, projectedHours: (seconds * 250000) / 3600, totalSteps: 250000, backend: 'webgpu', note: '', profile: profile(5087, 3485, 0.8) },
});
const FILES = {
  adapter: JSON.stringify({ kitKernels: ['Conv2DBackpropFilter', 'SrkdAdamMoment'], adapter: { device: 'NVIDIA H200', description: 'NVIDIA: 565.57', api: 'vulkan', software: false } }),
  verdicts: JSON.stringify({ failed: 1, suites: {
    backend: { seconds: 20, checks: [{ check: 'a', ok: true }, { check: 'b', ok: false, message: 'maxRelErr 3e-3' }] },
    train: { seconds: 9, checks: [{ check: 'c', ok: true }] },
  } }),
  train: [
    JSON.stringify({ event: 'progress', step: 190, totalSteps: 200, secPerStep: 0.05 }),
    JSON.stringify({ event: 'progress', step: 200, totalSteps: 200, secPerStep: 0.04 }),
    JSON.stringify({ event: 'results', status: 'completed' }),
  ].join('\n'),
  bench: [
    JSON.stringify(paper(1.0)),
    JSON.stringify({ variant: 'SRKD_WEBGPU_KIT_CONV=on' }),
    JSON.stringify(paper(0.8)),
    '{"case": "dukd-pap', // a line cut off by the time limit
  ].join('\n'),
};

describe('summarizeGpuCheck', () => {
  it('names the adapter, counts verdicts and lists failures, gives the quick run speed', () => {
    const md = summarizeGpuCheck(FILES);
    expect(md).toContain('**Adapter:** NVIDIA H200 (vulkan, NVIDIA: 565.57)');
    expect(md).toContain('**Verdicts:** 1 failed (backend 1/2, train 1/1)');
    expect(md).toContain('- FAILED: b: maxRelErr 3e-3');
    expect(md).toContain('**Quick DUKD run:** 200/200 steps, 0.0400 s/step at the last log line');
  });

  it('one table row per bench row; a variant is compared with the default run of its case', () => {
    const lines = summarizeGpuCheck(FILES).split('\n').filter((l) => l.startsWith('| dukd-paper'));
    expect(lines).toEqual([
      '| dukd-paper | default | 1.000 | 0.250 |  | 9.08 | 13.6 % | 20480 | 69.4 | 5087 / 3485 | 80 % | FusedConv2D 38.1 TF/s, Add |',
      '| dukd-paper | SRKD_WEBGPU_KIT_CONV=on | 0.800 | 0.200 | 1.25x | 11.35 | 16.9 % | 20480 | 55.6 | 5087 / 3485 | 80 % | FusedConv2D 38.1 TF/s, Add |',
    ]);
  });

  it('says what is missing instead of failing', () => {
    const md = summarizeGpuCheck({ adapter: null, verdicts: null, train: null, bench: null });
    expect(md).toBe('**Adapter:** adapter.json missing or empty\n**Verdicts:** verdicts.json missing or empty\n**Quick DUKD run:** no progress lines\n**Bench:** no rows\n');
  });

  it('reads files a time limit cut short: half-written JSON is named, not thrown', () => {
    const md = summarizeGpuCheck({ adapter: '{"adapter": {"dev', verdicts: '{"failed": 0, "suites": {', train: '{"event": "progress", "st', bench: null });
    expect(md).toMatch(/^\*\*Adapter:\*\* adapter.json is not JSON \(cut short\?\): "\{\\"adapter/m);
    expect(md).toMatch(/^\*\*Verdicts:\*\* verdicts.json is not JSON \(cut short\?\)/m);
    expect(md).toMatch(/no progress lines/);
  });

  it('summarises the first real GPU run (NVIDIA H200, 2026-12-04; test/fixtures/gpu-check/2026-12-04-h200)', () => {
    const dir = path.join(__dirname, '..', 'fixtures', 'gpu-check', '2026-12-04-h200');
    const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
    const md = summarizeGpuCheck({ adapter: read('adapter.json'), verdicts: read('verdicts.json'), train: read('train.jsonl'), bench: read('bench.jsonl') });
    expect(md).toMatch(/^\*\*Adapter:\*\* nvidia-h200 \(vulkan, NVIDIA: 580\.159\.04/m);
    // the one failure that run had: tf.profile's 16-byte timestamp buffers (18 kernels x 16 = 288 bytes)
    expect(md).toMatch(/^\*\*Verdicts:\*\* 1 failed \(backend 10\/11, kit-conv 3\/3, train 2\/2, methods 4\/4\)/m);
    expect(md).toMatch(/GPU bytes allocated 294032656,366059300,366059588/);
    expect(md).toMatch(/^\*\*Quick DUKD run:\*\* 200\/200 steps/m);
    const rows = md.split('\n').filter((l) => l.startsWith('| dukd-paper') || l.startsWith('| dckd-swinir'));
    expect(rows).toHaveLength(7);
    // bench.jsonl's first dukd-paper row: secondsMedian 0.8657 s, 9084.5 GFLOP, 67 TFLOP/s peak
    // that run's bench did not yet time how long the host takes to issue an iteration's ops: '-'
    expect(rows[0]).toMatch(/^\| dukd-paper \| default \| 0\.866 \| - \|  \| 10\.49 \| 15\.7 % \| 8449 \| 60\.1 \| 5171 \/ 3384 \| 80 % \|/);
    expect(rows[1]).toMatch(/^\| dukd-paper \| SRKD_WEBGPU_KIT_CONV=on \| 0\.828 \| - \| 1\.05x \|.* FusedConv2D 22\.0 TF\/s/);
    // its process ran under 'SRKD_TFJS_FLAGS=' (nothing set): a default row
    expect(rows.find((r) => r.startsWith('| dckd-swinir'))).toMatch(/^\| dckd-swinir \| default \| 15\.415 \|.*\| 55787 \|/);
  });

  it('summarises the second GPU run (after the fixes): every check passes, and the host issuing ops takes the whole step', () => {
    const dir = path.join(__dirname, '..', 'fixtures', 'gpu-check', '2026-12-04-h200-second');
    const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
    const md = summarizeGpuCheck({ adapter: read('adapter.json'), verdicts: read('verdicts.json'), train: read('train.jsonl'), bench: read('bench.jsonl') });
    expect(md).toMatch(/^\*\*Verdicts:\*\* all passed \(backend 12\/12, kit-conv 4\/4, train 2\/2, methods 4\/4\)$/m);
    expect(md).toMatch(/^\*\*Kit kernels:\*\* Conv2DBackpropFilter, Conv2D, FusedConv2D, SrkdAdamMoment, SrkdAdamValue, SrkdEmaUpdate$/m);
    // bench.jsonl: dukd-paper secondsMedian 0.9513, hostSecondsMedian 0.9234; dckd 13.777 and 13.738
    expect(md).toMatch(/^\| dukd-paper \| default \| 0\.951 \| 0\.923 \|  \| 9\.56 \| 14\.3 % \|/m);
    expect(md).toMatch(/^\| dukd-paper \| SRKD_WEBGPU_KIT_CONV=wide \| 1\.152 \| 1\.134 \| 0\.83x \|.* FusedConv2D 20\.7 TF\/s/m);
    expect(md).toMatch(/^\| dckd-swinir \| default \| 13\.777 \| 13\.738 \|/m);
  });
});
