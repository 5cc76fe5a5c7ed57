/**
 * taming-transformers VQModel state dicts (a Lightning checkpoint's `state_dict`, as DCKD loads it with
 * `param_key_vqgan: state_dict`) → the kit's frozen VQGAN encoder (lib/models/features/vqgan-encoder.ts).
 * Used: `encoder.*` (convs → HWIO, GroupNorm affine kept), `quant_conv.*` (1x1 conv → HWIO) and
 * `quantize.embedding.weight` (the codebook, kept as [n_embed, embed_dim]: an embedding table, not a linear
 * layer). Everything else (decoder, post_quant_conv, the discriminator and LPIPS weights of the training loss)
 * is listed as ignored. Keys keep their checkpoint names.
 */
import type { StateDict } from '../torch/checkpoint';
import { type KitWeights, toFloat32, toKitLayout } from './basicsr';

export const VQGAN_CODEBOOK_KEY = 'quantize.embedding.weight';

export interface VqganWeights {
  readonly weights: KitWeights;
  readonly ignored: readonly string[];
}

export function mapVqganTaming(sd: StateDict, file = '<state dict>'): VqganWeights {
  const weights: KitWeights = {};
  const ignored: string[] = [];
  for (const [key, t] of Object.entries(sd)) {
    let value;
    if (key === VQGAN_CODEBOOK_KEY) {
      if (t.shape.length !== 2) throw new Error(`${file}: '${key}' has shape [${t.shape}], expected [n_embed, embed_dim]`);
      value = { dtype: 'float32' as const, shape: t.shape.slice(), data: toFloat32(t) };
    } else if (key.startsWith('encoder.') || key.startsWith('quant_conv.')) {
      value = toKitLayout(key, t);
    } else {
      ignored.push(key);
      continue;
    }
    Object.defineProperty(weights, key, { value, enumerable: true, writable: true, configurable: true });
  }
  if (!(VQGAN_CODEBOOK_KEY in weights)) throw new Error(`${file}: no '${VQGAN_CODEBOOK_KEY}' (not a taming-transformers VQModel state dict?)`);
  if (!('encoder.conv_in.weight' in weights)) throw new Error(`${file}: no 'encoder.conv_in.weight' (not a taming-transformers VQModel state dict?)`);
  return { weights, ignored };
}
