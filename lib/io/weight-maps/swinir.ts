/**
 * SwinIR checkpoints (official JingyunLiang/SwinIR releases and BasicSR/DUKD ones) use the kit's names already
 * (JingyunLiang/SwinIR `network_swinir.py` and BasicSR `swinir_arch.py` share them). Mapping = layout conversion
 * (conv → HWIO, qkv/proj/fc1/fc2 → [in, out]) and dropping the relative_position_index and attn_mask buffers, which
 * the kit recomputes for every input size.
 */
import type { StateDict } from '../torch/checkpoint';
import { type MappedWeights, isDroppedKey, mapStateDict } from './basicsr';

export function mapSwinir(sd: StateDict): MappedWeights {
  return mapStateDict(sd, (k) => (isDroppedKey(k) ? null : k));
}
