// The DCKD bench case: one iteration (teacher, history over N inputs, student with L1 + KD + L_dcl + L_ce, Adam) and
// its VQGAN part timed on tiny nets with the fixture-sized encoder; the VQGAN part is counted work inside the
// iteration's, its share in (0, 1); nothing leaks. The full case is the SwinIR pair at batch 16, 48 px.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { dckdBenchCase, timeDckdStep } from '../../lib/bench/dckd-step';
import { METHOD_CASES } from '../../lib/bench/index';
import { SMOKE_VQGAN_CONFIG } from '../../lib/models/features/vqgan-encoder';

describe('timeDckdStep', () => {
  it('times a tiny DCKD iteration and the share of its VQGAN passes', async () => {
    await initBackend({ announce: false });
    expect(METHOD_CASES).toContain('dckd-swinir');
    expect(dckdBenchCase(false)).toMatchObject({ scale: 4, batch: 16, sizeLr: 48, student: { arch: 'swinir', embedDim: 60 }, teacher: { arch: 'swinir', embedDim: 180 } });
    const tiny = {
      teacher: { arch: 'swinir', embedDim: 6, depths: [1], heads: [1], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 4 },
      student: { arch: 'swinir', embedDim: 6, depths: [1], heads: [1], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 4 },
      scale: 2, batch: 2, sizeLr: 8,
    } as const;
    const before = tf.memory().numTensors;
    const lines: string[] = [];
    const r = await timeDckdStep(tiny, 2, { vqgan: SMOKE_VQGAN_CONFIG, findFile: false, log: (l) => lines.push(l) });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.secondsMedian).toBeGreaterThan(0);
    expect(r.hostSecondsMedian).toBeGreaterThan(0);
    expect(r.hostSecondsMedian).toBeLessThanOrEqual(r.secondsMedian);
    expect(r.note).toMatch(/ops issued in \d+\.\d\d s of it/);
    expect(r.vqganShare).toBeGreaterThan(0);
    expect(r.vqganShare).toBeLessThan(1);
    expect(r.vqganGflop).toBeGreaterThan(0);
    expect(r.vqganGflop).toBeLessThan(r.gflopPerIteration);
    expect(r.note).toMatch(/VQGAN with random weights, ch 32 \(not the real sizes\); VQGAN passes \d+ % of the step/);
    expect(lines.filter((l) => /iteration \d\/2/.test(l))).toHaveLength(2);
    expect(r.profile.kernels).toBeGreaterThan(100);
    expect(r.profile.top.length).toBe(6);
    expect(r.note).toMatch(/; \d+ kernels\/iteration busy \d+ % of the step/);
  });
});
