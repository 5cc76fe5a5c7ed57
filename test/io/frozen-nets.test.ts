// Loading the frozen feature networks through the kit's checkpoint reader: the VQGAN fixture is a Lightning
// checkpoint whose `callbacks` dict is keyed by a pytorch_lightning class (kept inert and reported by name).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { auxFixture } from '../aux-fixtures';
import { formatFrozenNetReport, loadVqgan } from '../../lib/io/frozen-nets';
import { type TorchDict, TorchCheckpointError, readTorchCheckpoint, stateDict } from '../../lib/io/torch/checkpoint';

const CKPT = auxFixture('tiny_vqgan_f16_lightning.ckpt');
const LIGHTNING_CALLBACK = 'pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('a Lightning checkpoint (taming-transformers VQGAN layout)', () => {
  it('is refused by default, naming the foreign global, and read inertly on request', () => {
    expect(() => readTorchCheckpoint(CKPT)).toThrow(TorchCheckpointError);
    expect(() => readTorchCheckpoint(CKPT)).toThrow(new RegExp(`refused global '${LIGHTNING_CALLBACK.replace(/\./g, '\\.')}'`));
    const ckpt = readTorchCheckpoint(CKPT, { unknownGlobals: 'opaque' });
    expect(ckpt.foreignGlobals).toEqual([LIGHTNING_CALLBACK]);
    const root = ckpt.root as TorchDict;
    expect(Object.keys(root)).toEqual(['epoch', 'global_step', 'pytorch-lightning_version', 'callbacks', 'optimizer_states', 'lr_schedulers', 'state_dict']);
    // The class keying `callbacks` becomes its dotted name; its value is plain data.
    expect(Object.keys(root.callbacks as TorchDict)).toEqual([LIGHTNING_CALLBACK]);
    expect(((root.callbacks as TorchDict)[LIGHTNING_CALLBACK] as TorchDict).monitor).toBe('val/rec_loss');
    expect(root.global_step).toBe(12345);
  });

  it('loads encoder.*, quant_conv.* and the codebook; the rest is listed as ignored', () => {
    const { net, report } = loadVqgan(CKPT);
    try {
      const keys = Object.keys(stateDict(readTorchCheckpoint(CKPT, { unknownGlobals: 'opaque' })));
      expect(report.format).toBe('legacy');
      expect(report.statePath).toEqual(['state_dict']);
      expect(report.foreignGlobals).toEqual([LIGHTNING_CALLBACK]);
      expect(report.used).toEqual(keys.filter((k) => k.startsWith('encoder.') || k.startsWith('quant_conv.') || k === 'quantize.embedding.weight'));
      expect(report.ignored).toEqual(['post_quant_conv.weight', 'post_quant_conv.bias', 'decoder.conv_in.weight', 'decoder.conv_in.bias',
        'loss.discriminator.main.0.weight', 'loss.perceptual_loss.net.slice1.0.weight', 'loss.logvar']);
      expect(report.used.length + report.ignored.length).toBe(keys.length);
      expect([...net.weights.tensors.keys()].sort()).toEqual([...report.used].sort());
      const text = formatFrozenNetReport('VQGAN', report);
      expect(text).toContain(`foreign globals kept inert (never called): ${LIGHTNING_CALLBACK}`);
      expect(text).toContain('ignored 7');
    } finally {
      net.dispose();
    }
  });

  it('a file that is no VQGAN fails naming the file and the key', () => {
    expect(() => loadVqgan(auxFixture('tiny_vgg19_torchvision.pth'))).toThrow(/tiny_vgg19_torchvision\.pth: no 'quantize\.embedding\.weight'/);
  });
});
