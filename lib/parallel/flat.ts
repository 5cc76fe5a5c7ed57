/** Flat-vector helpers shared by the pool and its workers. */

export function flatSize(vars: readonly { readonly size: number }[]): number {
  return vars.reduce((a, v) => a + v.size, 0);
}

/**
 * A bit-exact fingerprint of a list of float32 arrays (FNV-1a over the raw words), plus their sum
 * for humans. Two workers with identical weights give identical strings.
 */
export function weightChecksum(arrays: readonly Float32Array[]): string {
  let h = 0x811c9dc5;
  let sum = 0;
  for (const a of arrays) {
    const words = new Uint32Array(a.buffer, a.byteOffset, a.length);
    for (let i = 0; i < words.length; i++) {
      h = Math.imul(h ^ words[i], 0x01000193) >>> 0;
      sum += a[i];
    }
  }
  return `${h.toString(16).padStart(8, '0')}:${sum.toPrecision(12)}`;
}

/** Sizes of `workers` shares of a batch of `batch` rows: as even as possible, larger shares first. */
export function shareSizes(batch: number, workers: number): number[] {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be an integer >= 1 (got ${workers})`);
  if (batch < workers) throw new Error(`batch of ${batch} cannot be split over ${workers} workers (need batch >= workers)`);
  const base = Math.floor(batch / workers);
  const extra = batch % workers;
  return Array.from({ length: workers }, (_, i) => base + (i < extra ? 1 : 0));
}
