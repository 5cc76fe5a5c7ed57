// CSD's shared-weight EDSR against the outputs PyTorch computed with CSD's model/edsr.py (aux_expected.pt):
// width 1 (teacher) and width 0.25 (student) at x2, x3, x4; gradients into the shared slices; the extracted
// student as an ordinary kit model.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUX_JSON, auxFixture, auxNhwc, relMaxError } from '../aux-fixtures';
import { loadCsdEdsr } from '../../lib/io/csd-checkpoint';
import { loadModel, saveModel } from '../../lib/io/model-file';
import { readTorchCheckpoint, stateDict } from '../../lib/io/torch/checkpoint';
import { checkCsdMeanShift, mapCsdEdsr } from '../../lib/io/weight-maps/csd-edsr';
import { l1 } from '../../lib/losses/pixel';
import { buildModel } from '../../lib/models/build';
import { CSD_WIDTH_MULT, assertCsdBackbone, extractSlimEdsr, slimEdsrForward, slimWidth } from '../../lib/models/csd-edsr';
import type { SRNet } from '../../lib/models/types';

let tmp = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-csd-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const out255 = (net: SRNet, x: tf.Tensor4D, w: number): tf.Tensor4D => tf.tidy(() => tf.mul(slimEdsrForward(net, x, w), 255));

describe.each([2, 3, 4] as const)('CSD EDSR x%i', (scale) => {
  it('loads the CSD layout and matches the stored outputs at width 1 and 0.25 to 1e-4', () => {
    const { net, report } = loadCsdEdsr(auxFixture(`tiny_csd_edsr_x${scale}.pt`));
    const cfg = AUX_JSON[`csd_edsr_x${scale}`];
    try {
      expect(report.arch).toEqual({ arch: 'edsr', feats: cfg.n_feats, blocks: cfg.n_resblocks, resScale: cfg.res_scale });
      expect(report.scale).toBe(scale);
      expect(report.dropped).toEqual(['sub_mean.weight', 'sub_mean.bias', 'add_mean.weight', 'add_mean.bias']);
      const x = auxNhwc(`csd_edsr_x${scale}_input_255`, 1 / 255);
      const teacher = out255(net, x, 1);
      const plain = tf.tidy(() => tf.mul(net.forward(x).out, 255));
      const student = out255(net, x, CSD_WIDTH_MULT);
      const wantT = auxNhwc(`csd_edsr_x${scale}_out_w1_255`);
      const wantS = auxNhwc(`csd_edsr_x${scale}_out_w025_255`);
      expect(relMaxError(teacher, wantT)).toBeLessThan(1e-4);
      expect(relMaxError(plain, wantT)).toBeLessThan(1e-4);
      expect(relMaxError(student, wantS)).toBeLessThan(1e-4);
      // The extracted student is an ordinary EDSR of width 4 with the same output, and survives the model format.
      const extracted = extractSlimEdsr(net, CSD_WIDTH_MULT);
      expect(extracted.arch).toEqual({ arch: 'edsr', feats: 4, blocks: cfg.n_resblocks, resScale: cfg.res_scale });
      const fromExtracted = tf.tidy(() => tf.mul(extracted.forward(x).out, 255));
      expect(relMaxError(fromExtracted, wantS)).toBeLessThan(1e-4);
      tf.dispose([x, teacher, plain, student, wantT, wantS, fromExtracted]);
      extracted.dispose();
    } finally {
      net.dispose();
    }
  });
});

describe('CSD shared weights', () => {
  it('the extracted student saves and loads as a kit model with the same output', async () => {
    const { net } = loadCsdEdsr(auxFixture('tiny_csd_edsr_x3.pt'));
    const student = extractSlimEdsr(net, 0.25);
    const dir = path.join(tmp, 'student');
    await saveModel(student, dir);
    const { net: again } = loadModel(dir);
    const x = auxNhwc('csd_edsr_x3_input_255', 1 / 255);
    const a = student.forward(x).out;
    const b = again.forward(x).out;
    expect(relMaxError(b, a)).toBe(0);
    tf.dispose([x, a, b]);
    [net, student, again].forEach((n) => n.dispose());
  });

  it('a width-0.25 loss sends gradients into the first channels of every shared weight only; no leaks', () => {
    const { net } = loadCsdEdsr(auxFixture('tiny_csd_edsr_x2.pt'));
    const x = tf.tidy(() => tf.slice(auxNhwc('csd_edsr_x2_input_255', 1 / 255), [0, 0, 0, 0], [1, 8, 8, 3]) as tf.Tensor4D);
    const y = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 5);
    const vars = [...net.params.values()];
    const run = () => tf.variableGrads(() => l1(slimEdsrForward(net, x, 0.25), y), vars);
    const { value, grads } = run();
    expect(Object.keys(grads).sort()).toEqual(vars.map((v) => v.name).sort());
    const c = 4;
    for (const [key, v] of net.params) {
      const g = grads[v.name];
      const outW = key.startsWith('upsample.') ? 4 * c : key.startsWith('conv_last') ? 3 : c;
      const inW = key.startsWith('conv_first') ? 3 : c;
      const isBias = key.endsWith('.bias');
      const inside = isBias ? tf.slice(g, [0], [outW]) : tf.slice(g, [0, 0, 0, 0], [-1, -1, inW, outW]);
      const total = tf.sum(tf.abs(g)).dataSync()[0];
      const within = tf.sum(tf.abs(inside)).dataSync()[0];
      expect(within, key).toBeGreaterThan(0);
      expect(total - within, key).toBeCloseTo(0, 6); // nothing outside the student's slice
      inside.dispose();
    }
    tf.dispose([value, grads]);
    const before = tf.memory().numTensors;
    const again = run();
    tf.dispose([again.value, again.grads]);
    expect(tf.memory().numTensors).toBe(before);
    // Teacher and student terms together (CSD's L1(S, y) + L1(T, y)) reach every weight everywhere.
    const both = tf.variableGrads(() => tf.add(l1(slimEdsrForward(net, x, 0.25), y), l1(net.forward(x).out, y)) as tf.Scalar, vars);
    const w = both.grads[net.params.get('body.0.conv1.weight')!.name];
    expect(tf.sum(tf.abs(tf.slice(w, [0, 0, 4, 4], [-1, -1, -1, -1]))).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, y, both.value, both.grads]);
    net.dispose();
  });

  it('widths follow int(C * w); RCAN / SwinIR and bad widths are clear errors', () => {
    expect(slimWidth(256, 0.25)).toBe(64);
    expect(slimWidth(16, 0.3)).toBe(4);
    expect(() => slimWidth(16, 0)).toThrow(/in \(0, 1\]/);
    expect(() => slimWidth(2, 0.25)).toThrow(/leaves no channels of 2/);
    expect(() => assertCsdBackbone({ arch: 'rcan', feats: 64, groups: 10, blocks: 20, reduction: 16, resScale: 1 })).toThrow(/CSD needs an EDSR backbone.*got rcan: RCAN students are shallower/);
    const swin = buildModel({ arch: 'swinir', embedDim: 12, depths: [2], heads: [2], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 8 }, 2);
    const x = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    expect(() => slimEdsrForward(swin, x, 0.25)).toThrow(/got swinir: SwinIR has no channel-sliceable/);
    x.dispose();
    swin.dispose();
  });

  it('refuses mean shifts the kit cannot reproduce and files that are no CSD EDSR', () => {
    const sd = stateDict(readTorchCheckpoint(auxFixture('tiny_csd_edsr_x2.pt')));
    const bias = sd['sub_mean.bias'];
    const bad = { ...sd, 'sub_mean.bias': { ...bias, data: Float32Array.from([-0.4488, -0.4371, -0.404]) } };
    expect(() => checkCsdMeanShift(bad, 'c.pt')).toThrow(/c\.pt: 'sub_mean\.bias' .* is not -255 x the DIV2K mean/);
    expect(Object.keys(mapCsdEdsr(sd).weights)).toContain('upsample.0.weight');
    expect(() => loadCsdEdsr(auxFixture('tiny_edsr_official_x2_legacy.pt'))).toThrow(/not a CSD EDSR state dict/);
  });
});
