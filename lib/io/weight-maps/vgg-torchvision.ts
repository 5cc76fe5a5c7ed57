/**
 * torchvision VGG state dicts (`vgg19-dcbb9e9d.pth` and any file with its key layout) → the kit's frozen VGG
 * (lib/models/features/vgg19.ts): `features.N.weight` [out, in, 3, 3] becomes HWIO under the same key,
 * `features.N.bias` is kept; `classifier.*` (the fully connected head) is not needed for feature taps and is
 * listed as ignored. Batch-norm variants (vgg19_bn: `features.N.running_mean`, ...) are refused by name, since
 * their layer indices and maths differ.
 */
import type { StateDict } from '../torch/checkpoint';
import { type KitWeights, toKitLayout } from './basicsr';

export interface VggWeights {
  /** `features.N.weight` (HWIO) / `features.N.bias`, in checkpoint order. */
  readonly weights: KitWeights;
  /** Checkpoint keys not used (the classifier). */
  readonly ignored: readonly string[];
}

export function mapVggTorchvision(sd: StateDict, file = '<state dict>'): VggWeights {
  const weights: KitWeights = {};
  const ignored: string[] = [];
  for (const [key, t] of Object.entries(sd)) {
    if (key.startsWith('classifier.')) { ignored.push(key); continue; }
    const m = /^features\.(\d+)\.(weight|bias|running_mean|running_var|num_batches_tracked)$/.exec(key);
    if (m === null) throw new Error(`${file}: unexpected key '${key}' for a torchvision VGG (expected features.N.weight/bias, classifier.*)`);
    if (m[2] !== 'weight' && m[2] !== 'bias') {
      throw new Error(`${file}: key '${key}' belongs to a batch-norm VGG (vgg19_bn), which CSD does not use; expected torchvision's plain vgg19`);
    }
    if (m[2] === 'weight' && t.shape.length !== 4) {
      throw new Error(`${file}: '${key}' has shape [${t.shape}]; a batch-norm VGG (vgg19_bn) or a non-VGG file? Expected a 4-D conv filter`);
    }
    Object.defineProperty(weights, key, { value: toKitLayout(key, t), enumerable: true, writable: true, configurable: true });
  }
  return { weights, ignored };
}
