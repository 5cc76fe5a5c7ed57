// The weight maps against the kit's networks (lib/models): same keys, order and shapes, and the SwinIR fixture's
// stored outputs reproduced through the mapped weights (EDSR and RCAN outputs are checked in weight-maps.test.ts).
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../shared';
import { readTorchCheckpoint, stateDict } from '../../lib/io/torch/checkpoint';
import type { MappedWeights } from '../../lib/io/weight-maps/basicsr';
import { mapBasicsr } from '../../lib/io/weight-maps/basicsr';
import { mapEdsrOfficial } from '../../lib/io/weight-maps/edsr-official';
import { mapRcanOfficial } from '../../lib/io/weight-maps/rcan-official';
import { mapSwinir } from '../../lib/io/weight-maps/swinir';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig, SRNet } from '../../lib/models/types';
import type { Scale } from '../../lib/types';

const VECTORS = JSON.parse(fs.readFileSync(sharedPath('spec', 'vectors', 'checkpoint_fixtures.json'), 'utf8'));
const load = (name: string) => stateDict(readTorchCheckpoint(sharedPath('data', 'fixtures', name)));

const SWINIR: ArchConfig = { arch: 'swinir', embedDim: 12, depths: [2, 2], heads: [2, 3], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 64 };
const CASES: Array<[string, ArchConfig, Scale, () => MappedWeights]> = [
  ['EDSR official', { arch: 'edsr', feats: 8, blocks: 2, resScale: 0.1 }, 2, () => mapEdsrOfficial(load('tiny_edsr_official_x2_legacy.pt'))],
  ['EDSR BasicSR', { arch: 'edsr', feats: 8, blocks: 2, resScale: 0.1 }, 2, () => mapBasicsr(load('tiny_edsr_basicsr_x2_zip.pth'))],
  ['RCAN official', { arch: 'rcan', feats: 16, groups: 2, blocks: 2, reduction: 4, resScale: 1 }, 3, () => mapRcanOfficial(load('tiny_rcan_official_x3_legacy.pt'))],
  ['SwinIR', SWINIR, 2, () => mapSwinir(load('tiny_swinir_x2_zip.pth'))],
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function assign(net: SRNet, mapped: MappedWeights): void {
  for (const [k, v] of net.params) {
    const t = mapped.weights[k];
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
  }
}

describe('mapped checkpoints fit the kit networks', () => {
  it.each(CASES)('%s: same keys, order and shapes', (_name, arch, scale, mapWeights) => {
    const net = buildModel(arch, scale);
    try {
      const mapped = mapWeights();
      expect(Object.keys(mapped.weights)).toEqual([...net.params.keys()]);
      for (const [k, v] of net.params) expect(mapped.weights[k].shape, k).toEqual(v.shape);
    } finally {
      net.dispose();
    }
  });

  it('SwinIR reproduces both stored outputs (8x8 and 12x8 inputs)', () => {
    const net = buildModel(SWINIR, 2);
    try {
      assign(net, mapSwinir(load('tiny_swinir_x2_zip.pth')));
      const v = VECTORS.tiny_swinir;
      for (const [input, shape, output] of [[v.input, v.input_shape, v.output], [v.input2, v.input2_shape, v.output2]]) {
        const diff = tf.tidy(() => {
          const x = tf.transpose(tf.tensor4d(input, shape), [0, 2, 3, 1]) as tf.Tensor4D;
          const y = tf.transpose(net.forward(x).out, [0, 3, 1, 2]);
          return tf.max(tf.abs(tf.sub(y, tf.tensor(output, y.shape)))).dataSync()[0];
        });
        expect(diff).toBeLessThan(1e-4);
      }
    } finally {
      net.dispose();
    }
  });
});
