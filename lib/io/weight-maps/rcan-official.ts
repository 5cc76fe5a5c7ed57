/**
 * Official RCAN (yulunzhang/RCAN) state dict → BasicSR names, the map of DUKD's `rcan_ckpt_conversion.py`:
 * head.0 → conv_first; body.{g}.body.{b}.body.0/2 → body.{g}.residual_group.{b}.rcab.0/2;
 * body.{g}.body.{b}.body.3.conv_du.0/2 → ...rcab.3.attention.1/3; body.{g}.body.{B} → body.{g}.conv;
 * body.{G} → conv_after_body; tail.0.{2j} → upsample.{2j}; tail.1 → conv_last; sub_mean/add_mean dropped.
 */
import type { StateDict } from '../torch/checkpoint';
import { type MappedWeights, isDroppedKey, mapStateDict } from './basicsr';

/** The renaming for a given key list (G and each group's B are read from the keys). null = drop. */
export function rcanOfficialRename(keys: readonly string[]): (key: string) => string | null {
  const blocks = new Map<number, number>(); // group → number of RCABs
  for (const k of keys) {
    const m = /^body\.(\d+)\.body\.(\d+)\.body\.0\.weight$/.exec(k);
    if (m) blocks.set(Number(m[1]), Math.max(blocks.get(Number(m[1])) ?? 0, Number(m[2]) + 1));
  }
  const groups = blocks.size === 0 ? 0 : Math.max(...blocks.keys()) + 1;
  return (key) => {
    if (isDroppedKey(key)) return null;
    let m = /^head\.0\.(weight|bias)$/.exec(key);
    if (m) return `conv_first.${m[1]}`;
    m = /^body\.(\d+)\.body\.(\d+)\.body\.([02])\.(weight|bias)$/.exec(key);
    if (m) return `body.${m[1]}.residual_group.${m[2]}.rcab.${m[3]}.${m[4]}`;
    m = /^body\.(\d+)\.body\.(\d+)\.body\.3\.conv_du\.([02])\.(weight|bias)$/.exec(key);
    if (m) return `body.${m[1]}.residual_group.${m[2]}.rcab.3.attention.${m[3] === '0' ? 1 : 3}.${m[4]}`;
    m = /^body\.(\d+)\.body\.(\d+)\.(weight|bias)$/.exec(key);
    if (m && Number(m[2]) === blocks.get(Number(m[1]))) return `body.${m[1]}.conv.${m[3]}`;
    m = /^body\.(\d+)\.(weight|bias)$/.exec(key);
    if (m && Number(m[1]) === groups) return `conv_after_body.${m[2]}`;
    m = /^tail\.0\.(\d+)\.(weight|bias)$/.exec(key);
    if (m) return `upsample.${m[1]}.${m[2]}`;
    m = /^tail\.1\.(weight|bias)$/.exec(key);
    if (m) return `conv_last.${m[1]}`;
    return key; // unknown: kept, so a strict loader reports it as unexpected
  };
}

export function mapRcanOfficial(sd: StateDict): MappedWeights {
  return mapStateDict(sd, rcanOfficialRename(Object.keys(sd)));
}
