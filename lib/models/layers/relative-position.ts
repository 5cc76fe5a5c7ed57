/**
 * Swin relative position index for a ws x ws window (SwinIR `WindowAttention`):
 *   index[p, q] = (yp - yq + ws - 1) * (2ws - 1) + (xp - xq + ws - 1),  p, q row-major tokens.
 * Returned flat (row p, column q), length (ws*ws)^2, values in [0, (2ws-1)^2).
 */
export function relativePositionIndex(ws: number): Int32Array {
  const n = ws * ws;
  const span = 2 * ws - 1;
  const out = new Int32Array(n * n);
  for (let p = 0; p < n; p++) {
    const yp = Math.floor(p / ws);
    const xp = p % ws;
    for (let q = 0; q < n; q++) {
      const yq = Math.floor(q / ws);
      const xq = q % ws;
      out[p * n + q] = (yp - yq + ws - 1) * span + (xp - xq + ws - 1);
    }
  }
  return out;
}

/**
 * One-hot form of the index, [(2ws-1)^2, (ws*ws)^2] row-major: onehot[r, p*N + q] = 1 when index[p, q] = r.
 * The bias is then `table^T @ onehot` (a plain 2-D matmul). Used instead of tf.gather because the gather
 * gradient (UnsortedSegmentSum) is extremely slow on some backends (tfjs cpu: ~80% of a SwinIR backward pass),
 * while matmul is fast everywhere; the extra cost is (2ws-1)^2 * h * N^2 MACs per layer (~3% of SwinIR).
 */
export function relativePositionOneHot(ws: number): Float32Array {
  const index = relativePositionIndex(ws);
  const nn = index.length;
  const out = new Float32Array((2 * ws - 1) ** 2 * nn);
  for (let i = 0; i < nn; i++) out[index[i] * nn + i] = 1;
  return out;
}
