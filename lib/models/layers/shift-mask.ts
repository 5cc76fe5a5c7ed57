/**
 * Attention mask of a shifted Swin layer for an H x W feature map (SwinIR `calculate_mask`), recomputed for
 * the actual input size. Regions: rows [0, H-ws), [H-ws, H-shift), [H-shift, H), columns likewise,
 * label = 3*rowBand + colBand, defined on the shifted map. For each window (row-major over the grid),
 * mask[p, q] = 0 when tokens p and q share a label, else -100. Flat Float32Array of shape [nW, ws*ws, ws*ws].
 */
export function shiftWindowMask(h: number, w: number, ws: number, shift: number): Float32Array {
  if (h % ws !== 0 || w % ws !== 0) throw new Error(`shiftWindowMask: ${h}x${w} is not a multiple of window ${ws}`);
  const band = (i: number, size: number): number => (i < size - ws ? 0 : i < size - shift ? 1 : 2);
  const gh = h / ws;
  const gw = w / ws;
  const n = ws * ws;
  const out = new Float32Array(gh * gw * n * n);
  const labels = new Int32Array(n);
  for (let wy = 0; wy < gh; wy++) {
    for (let wx = 0; wx < gw; wx++) {
      for (let t = 0; t < n; t++) {
        const y = wy * ws + Math.floor(t / ws);
        const x = wx * ws + (t % ws);
        labels[t] = 3 * band(y, h) + band(x, w);
      }
      const base = (wy * gw + wx) * n * n;
      for (let p = 0; p < n; p++) {
        for (let q = 0; q < n; q++) out[base + p * n + q] = labels[p] === labels[q] ? 0 : -100;
      }
    }
  }
  return out;
}
