/**
 * EDSR-PyTorch (sanghyun-son/EDSR-PyTorch `src/model/edsr.py`) state dict → BasicSR names (`edsr_arch.py`):
 * head.0 → conv_first, body.{i}.body.0/2 → body.{i}.conv1/conv2, body.{B} → conv_after_body,
 * tail.0.{2j} → upsample.{2j}, tail.1 → conv_last; sub_mean/add_mean dropped (the kit applies the mean itself).
 */
import type { StateDict } from '../torch/checkpoint';
import { type MappedWeights, isDroppedKey, mapStateDict } from './basicsr';

/** The renaming for a given key list (the block count B is read from the keys). null = drop. */
export function edsrOfficialRename(keys: readonly string[]): (key: string) => string | null {
  let blocks = 0;
  for (const k of keys) {
    const m = /^body\.(\d+)\.body\.0\.weight$/.exec(k);
    if (m) blocks = Math.max(blocks, Number(m[1]) + 1);
  }
  return (key) => {
    if (isDroppedKey(key)) return null;
    let m = /^head\.0\.(weight|bias)$/.exec(key);
    if (m) return `conv_first.${m[1]}`;
    m = /^body\.(\d+)\.body\.([02])\.(weight|bias)$/.exec(key);
    if (m) return `body.${m[1]}.conv${m[2] === '0' ? 1 : 2}.${m[3]}`;
    m = /^body\.(\d+)\.(weight|bias)$/.exec(key);
    if (m && Number(m[1]) === blocks) return `conv_after_body.${m[2]}`;
    m = /^tail\.0\.(\d+)\.(weight|bias)$/.exec(key);
    if (m) return `upsample.${m[1]}.${m[2]}`;
    m = /^tail\.1\.(weight|bias)$/.exec(key);
    if (m) return `conv_last.${m[1]}`;
    return key; // unknown: kept, so a strict loader reports it as unexpected
  };
}

export function mapEdsrOfficial(sd: StateDict): MappedWeights {
  return mapStateDict(sd, edsrOfficialRename(Object.keys(sd)));
}
