/**
 * Largest |a - b| over every entry of every array, divided by the largest |b| (b is the reference): one scale
 * for a whole set of weights, so near-zero entries do not blow the ratio up.
 */
export function maxRelDiff(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  let num = 0;
  let den = 1e-12;
  b.forEach((ref, i) => {
    for (let j = 0; j < ref.length; j++) {
      num = Math.max(num, Math.abs(a[i][j] - ref[j]));
      den = Math.max(den, Math.abs(ref[j]));
    }
  });
  return num / den;
}
