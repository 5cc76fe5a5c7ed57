/**
 * Checkpoint state dicts → the kit's parameter layout (names of BasicSR `basicsr/archs/*`).
 * The kit names parameters with BasicSR state_dict keys and stores conv filters HWIO [kh, kw, in, out] and
 * linear weights [in, out]; PyTorch stores [out, in, kh, kw] and [out, in]. Constant buffers
 * (SwinIR relative_position_index / attn_mask, BatchNorm num_batches_tracked) and the EDSR-PyTorch/RCAN
 * mean-shift convs are dropped: the kit recomputes or hard-codes them.
 * This file holds the shared conversion and the map for checkpoints already in BasicSR naming.
 */
import { type StateDict, type TorchTensor, bfloat16BitsToFloat32, halfBitsToFloat32 } from '../torch/checkpoint';

/** A tensor in the kit's layout, ready for `tf.tensor(data, shape)`. */
export type KitTensor = { dtype: 'float32'; shape: number[]; data: Float32Array };
export type KitWeights = Record<string, KitTensor>;

export interface MappedWeights {
  /** Kit (BasicSR) key → converted tensor, in the checkpoint's order. Unrecognised keys keep their name. */
  readonly weights: KitWeights;
  /** Checkpoint keys that were deliberately left out (buffers, mean shift). */
  readonly dropped: readonly string[];
}

/** Checkpoint layouts the kit can map. SwinIR checkpoints (official and BasicSR) are 'basicsr'. */
export type SourceLayout = 'basicsr' | 'edsr-official' | 'rcan-official';

const BUFFER_SUFFIXES = ['.relative_position_index', '.attn_mask', '.num_batches_tracked'];

/** True for keys the kit never loads: recomputed buffers and the mean-shift convs. */
export function isDroppedKey(key: string): boolean {
  return BUFFER_SUFFIXES.some((s) => key.endsWith(s)) || key === 'relative_position_index' || key === 'attn_mask' ||
    key.startsWith('sub_mean.') || key.startsWith('add_mean.');
}

/** Element values as float32, whatever the stored dtype (float16/bfloat16 bits decoded). */
export function toFloat32(t: TorchTensor): Float32Array {
  switch (t.dtype) {
    case 'float32': return Float32Array.from(t.data as Float32Array);
    case 'float16': return halfBitsToFloat32(t.data as Uint16Array);
    case 'bfloat16': return bfloat16BitsToFloat32(t.data as Uint16Array);
    case 'int64': return Float32Array.from(t.data as BigInt64Array, (x) => Number(x));
    default: return Float32Array.from(t.data as ArrayLike<number>);
  }
}

/** PyTorch conv weight [out, in, kh, kw] → HWIO [kh, kw, in, out]. */
export function convToHwio(t: TorchTensor): KitTensor {
  if (t.shape.length !== 4) throw new Error(`conv weight must be 4-D [out, in, kh, kw] (got [${t.shape}])`);
  const [o, i, kh, kw] = t.shape;
  const src = toFloat32(t);
  const out = new Float32Array(src.length);
  for (let a = 0; a < o; a++) {
    for (let b = 0; b < i; b++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = src[((a * i + b) * kh + y) * kw + x];
      }
    }
  }
  return { dtype: 'float32', shape: [kh, kw, i, o], data: out };
}

/** PyTorch linear weight [out, in] → [in, out] (so that y = x·W + b). */
export function linearToInOut(t: TorchTensor): KitTensor {
  if (t.shape.length !== 2) throw new Error(`linear weight must be 2-D [out, in] (got [${t.shape}])`);
  const [o, i] = t.shape;
  const src = toFloat32(t);
  const out = new Float32Array(src.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[b * o + a] = src[a * i + b];
  return { dtype: 'float32', shape: [i, o], data: out };
}

/**
 * Converts one tensor to the kit's layout: `*.weight` of rank 4 is a conv (→ HWIO), `*.weight` of rank 2 a
 * linear (→ [in, out]); everything else (biases, LayerNorm, relative_position_bias_table [span², heads])
 * keeps its shape.
 */
export function toKitLayout(key: string, t: TorchTensor): KitTensor {
  if (key.endsWith('.weight') && t.shape.length === 4) return convToHwio(t);
  if (key.endsWith('.weight') && t.shape.length === 2) return linearToInOut(t);
  return { dtype: 'float32', shape: t.shape.slice(), data: toFloat32(t) };
}

/**
 * Renames and converts a state dict. `rename` returns the kit key, or null to drop the entry.
 * Two checkpoint keys mapping to the same kit key is an error.
 */
export function mapStateDict(sd: StateDict, rename: (key: string) => string | null): MappedWeights {
  const weights: KitWeights = {};
  const dropped: string[] = [];
  const from = new Map<string, string>();
  for (const [key, t] of Object.entries(sd)) {
    const kit = rename(key);
    if (kit === null) { dropped.push(key); continue; }
    const prev = from.get(kit);
    if (prev !== undefined) throw new Error(`checkpoint keys '${prev}' and '${key}' both map to '${kit}'`);
    from.set(kit, key);
    Object.defineProperty(weights, kit, { value: toKitLayout(key, t), enumerable: true, writable: true, configurable: true });
  }
  return { weights, dropped };
}

/** A state dict already in BasicSR naming (BasicSR EDSR/RCAN conversions, SwinIR, DUKD checkpoints). */
export function mapBasicsr(sd: StateDict): MappedWeights {
  return mapStateDict(sd, (k) => (isDroppedKey(k) ? null : k));
}

/** Guesses the naming of a state dict from its keys. */
export function detectLayout(keys: readonly string[]): SourceLayout {
  const has = new Set(keys);
  if (has.has('head.0.weight') && keys.some((k) => /^body\.\d+\.body\.\d+\.body\.3\.conv_du\./.test(k))) return 'rcan-official';
  if (has.has('head.0.weight') && keys.some((k) => /^body\.\d+\.body\.0\.weight$/.test(k))) return 'edsr-official';
  return 'basicsr';
}
