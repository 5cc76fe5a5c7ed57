/** Feature-tap selection shared by the backbones: validates requested names against the documented list. */
import type { TapName } from '../../types';

export function selectTaps(all: readonly TapName[], requested: readonly TapName[] | undefined): Set<TapName> {
  const wanted = new Set<TapName>(requested ?? []);
  for (const t of wanted) {
    if (!all.includes(t)) throw new Error(`unknown tap '${t}'; this network has: ${all.join(', ')}`);
  }
  return wanted;
}
