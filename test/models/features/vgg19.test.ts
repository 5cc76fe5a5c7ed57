// The frozen VGG-19 against the PyTorch outputs stored in aux_expected.pt (torchvision layout, widths / 8).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUX_JSON, auxFixture, auxNhwc, relMaxError } from '../../aux-fixtures';
import { loadVgg19 } from '../../../lib/io/frozen-nets';
import { TorchCheckpointError } from '../../../lib/io/torch/checkpoint';
import { mapVggTorchvision } from '../../../lib/io/weight-maps/vgg-torchvision';
import { CSD_VGG_SLICE_ENDS, CSD_VGG_TAP_NAMES, SMOKE_VGG19_WIDTHS, type VggFeatures, randomVgg19, vggInput } from '../../../lib/models/features/vgg19';

let vgg: VggFeatures;
beforeAll(async () => {
  await tf.setBackend('cpu');
  vgg = loadVgg19(auxFixture('tiny_vgg19_torchvision.pth')).net;
});
afterAll(() => vgg.dispose());

describe('VGG-19 features from a torchvision checkpoint', () => {
  it('uses features.*, lists classifier.* as ignored, and rebuilds torchvision layer indices', () => {
    const { net, report } = loadVgg19(auxFixture('tiny_vgg19_torchvision.pth'));
    try {
      expect(report.used).toHaveLength(32);
      expect(report.ignored).toEqual(['classifier.0.weight', 'classifier.0.bias', 'classifier.3.weight', 'classifier.3.bias', 'classifier.6.weight', 'classifier.6.bias']);
      expect(report.foreignGlobals).toEqual([]);
      expect(net.convWidths).toEqual(AUX_JSON.vgg.widths);
      expect(SMOKE_VGG19_WIDTHS).toEqual(AUX_JSON.vgg.widths);
      expect(net.layers).toHaveLength(37);
      expect(net.layers.filter((l) => l.kind === 'pool').map((l) => l.index)).toEqual([4, 9, 18, 27, 36]);
      for (const t of net.weights.tensors.values()) expect(t).not.toBeInstanceOf(tf.Variable);
    } finally {
      net.dispose();
    }
  });

  it('CSD slices relu1_1 ... relu5_1 equal the stored PyTorch outputs (0-255 input) to 1e-4', () => {
    const outs = tf.tidy(() => vgg.forward(auxNhwc('vgg_input'), CSD_VGG_SLICE_ENDS));
    try {
      CSD_VGG_TAP_NAMES.forEach((name, i) => {
        const want = auxNhwc(`vgg_${name}`);
        expect(relMaxError(outs[i], want), name).toBeLessThan(1e-4);
        want.dispose();
      });
    } finally {
      tf.dispose(outs);
    }
  });

  it('CSD input is 255 * image without mean/std', () => {
    const x = tf.tensor4d([0, 0.5, 1], [1, 1, 1, 3]);
    const y = vggInput(x, 'raw255');
    expect(Array.from(y.dataSync())).toEqual([0, 127.5, 255]);
    const z = vggInput(x, 'imagenet');
    expect(z.dataSync()[0]).toBeCloseTo(-0.485 / 0.229, 5);
    tf.dispose([x, y, z]);
  });

  it('a single tap and a pre-ReLU tap come out unfused', () => {
    const x = auxNhwc('vgg_input');
    const [pre, post] = vgg.forward(x, [1, 2]);
    const relu = tf.relu(pre);
    expect(relMaxError(relu, post)).toBe(0);
    expect(tf.min(pre).dataSync()[0]).toBeLessThan(0);
    tf.dispose([x, pre, post, relu]);
    expect(() => vgg.forward(x, [7, 2])).toThrow(/ascending slice ends/);
  });

  it('is frozen: gradients reach the input, never the weights; no tensor leaks', () => {
    const x = tf.variable(tf.randomUniform([1, 16, 16, 3], 0, 255, 'float32', 1)) as tf.Variable<tf.Rank.R4>;
    const run = () => tf.variableGrads(() => tf.tidy(() => tf.addN(vgg.forward(x, CSD_VGG_SLICE_ENDS).map((f) => tf.mean(f))) as tf.Scalar));
    const first = run();
    expect(Object.keys(first.grads)).toEqual([x.name]);
    expect(tf.sum(tf.abs(first.grads[x.name])).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([first.value, first.grads]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const r = run();
      tf.dispose([r.value, r.grads]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('random VGG-19 of the fixture widths for offline checks', () => {
    const net = randomVgg19(AUX_JSON.vgg.widths, 3);
    const outs = tf.tidy(() => net.forward(tf.zeros([1, 32, 32, 3]), CSD_VGG_SLICE_ENDS));
    expect(outs.map((o) => o.shape)).toEqual([[1, 32, 32, 8], [1, 16, 16, 16], [1, 8, 8, 32], [1, 4, 4, 64], [1, 2, 2, 64]]);
    tf.dispose(outs);
    net.dispose();
    expect(() => randomVgg19([64, 64])).toThrow(/16 positive integers/);
  });

  it('refuses batch-norm VGGs and unknown keys by name', () => {
    const t = { dtype: 'float32' as const, shape: [8], data: new Float32Array(8) };
    expect(() => mapVggTorchvision({ 'features.1.running_mean': t }, 'x.pth')).toThrow(/x\.pth: key 'features\.1\.running_mean' belongs to a batch-norm VGG/);
    expect(() => mapVggTorchvision({ 'head.weight': t }, 'x.pth')).toThrow(/unexpected key 'head\.weight'/);
    expect(() => loadVgg19(auxFixture('tiny_csd_edsr_x2.pt'))).toThrow(TorchCheckpointError);
  });
});
