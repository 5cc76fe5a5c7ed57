/**
 * FAKD spatial-affinity ("SA") loss (He et al., ICIP 2020; FAKD-code `spatial_similarity`).
 *
 * For a feature map F [B,h,w,C]: every spatial position's C-vector is L2-normalised (norm + 1e-8), and A = Fn·Fnᵀ
 * [B,N,N] with N = h·w holds the cosine similarity of every pair of positions. The channel count cancels, so
 * student and teacher may differ in width. The loss is the mean |A_S - A_T| over (B, N, N).
 *
 * Gradients reach the student features (the FAKD paper's loss). DUKD-code's re-implementation packs the per-layer
 * losses into a new tensor (`torch.tensor([...])` in models/fakd_model.py), which detaches them: as released its
 * affinity term has no gradient and the run is response KD. `detach: true` reproduces that (the value is
 * computed and logged, its gradient is zero); fakd.ts offers it as `detachAffinity` for DUKD's FAKD* rows.
 *
 * Memory: one map is N² floats per sample (2304² ≈ 5.3 M at 48×48; batch 16 × 3 layers × 2 networks ≈ 2 GB before
 * gradients). `affinityL1` therefore never materialises a whole map: forward and backward run over row chunks
 * inside one custom-gradient op, so peak memory is B·chunkRows·N floats per layer instead of several B·N² tensors
 * held by the tape.
 */
import * as tf from '@tensorflow/tfjs';

/** Added to each position's L2 norm before dividing (FAKD-code `spatial_similarity`). */
export const AFFINITY_NORM_EPS = 1e-8;

/**
 * Per-position L2-normalised features as [B, N, C] (N = h·w, row-major positions).
 * The squared norm is floored at 1e-30 inside the sqrt so an all-zero position has gradient 0 instead of NaN;
 * the forward value changes by at most 1e-15, far below float32 resolution at any non-zero norm.
 */
export function normalizePositions(f: tf.Tensor4D): tf.Tensor3D {
  const [b, h, w, c] = f.shape;
  return tf.tidy(() => {
    const x = tf.reshape(f, [b, h * w, c]) as tf.Tensor3D;
    const norm = tf.add(tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-30)), AFFINITY_NORM_EPS);
    return tf.div(x, norm) as tf.Tensor3D;
  });
}

/** The affinity map A = Fn·Fnᵀ [B, N, N] of a feature map [B, h, w, C]. */
export function spatialAffinity(f: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const fn = normalizePositions(f);
    return tf.matMul(fn, fn, false, true) as tf.Tensor3D;
  });
}

/** Default row-chunk size of `affinityL1` (rows of A held at once: B·chunk·N floats). */
export const AFFINITY_CHUNK_ROWS = 256;

function rowRanges(n: number, rows: number): [number, number][] {
  const out: [number, number][] = [];
  for (let r0 = 0; r0 < n; r0 += rows) out.push([r0, Math.min(rows, n - r0)]);
  return out;
}

/** Rows [r0, r0 + r) of Fn·Fnᵀ: [B, r, N]. */
function affinityRows(fn: tf.Tensor3D, r0: number, r: number): tf.Tensor3D {
  const [b, , c] = fn.shape;
  return tf.matMul(tf.slice(fn, [0, r0, 0], [b, r, c]), fn, false, true);
}

/**
 * mean |Fs·Fsᵀ - Ft·Ftᵀ| over (B, N, N) for already-normalised [B, N, C] inputs, as one op with a hand-written
 * gradient so that neither pass holds a whole N×N map: rows are processed `chunkRows` at a time.
 * Gradient w.r.t. Fs: (G + Gᵀ)·Fs / (B·N²) with G = sign(A_S - A_T) (0 at ties, like PyTorch's abs);
 * Ft gets a zero gradient (the teacher side is sg by construction).
 */
export function affinityL1Normalized(ns: tf.Tensor3D, nt: tf.Tensor3D, chunkRows = AFFINITY_CHUNK_ROWS, detach = false): tf.Scalar {
  const [b, n] = ns.shape;
  if (nt.shape[0] !== b || nt.shape[1] !== n) {
    throw new Error(`affinityL1Normalized: [${ns.shape.join(', ')}] vs [${nt.shape.join(', ')}] differ in batch or positions`);
  }
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new Error(`chunkRows must be a positive integer (got ${chunkRows})`);
  const count = b * n * n;
  const ranges = rowRanges(n, chunkRows);
  const signRows = (s: tf.Tensor3D, t: tf.Tensor3D, r0: number, r: number): tf.Tensor3D =>
    tf.sign(tf.sub(affinityRows(s, r0, r), affinityRows(t, r0, r))) as tf.Tensor3D;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [s3, t3, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
    save([s3, t3]);
    const value = tf.tidy(() =>
      tf.div(tf.addN(ranges.map(([r0, r]) => tf.sum(tf.abs(tf.sub(affinityRows(s3, r0, r), affinityRows(t3, r0, r)))))), count),
    );
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sv, tv] = saved as [tf.Tensor3D, tf.Tensor3D];
        if (detach) return [tf.zerosLike(sv), tf.zerosLike(tv)];
        const c = sv.shape[2];
        const grad = tf.tidy(() => {
          const rowsPart: tf.Tensor[] = [];
          let colsPart: tf.Tensor3D | null = null;
          for (const [r0, r] of ranges) {
            const g = signRows(sv, tv, r0, r); // [B, r, N]
            rowsPart.push(tf.matMul(g, sv)); // (G·Fs) rows r0..r0+r
            const gt: tf.Tensor3D = tf.matMul(g, tf.slice(sv, [0, r0, 0], [b, r, c]), true, false); // (Gᵀ·Fs), all rows
            colsPart = colsPart === null ? gt : (tf.add(colsPart, gt) as tf.Tensor3D);
          }
          const total = tf.add(tf.concat(rowsPart, 1), colsPart as tf.Tensor3D);
          return tf.mul(total, tf.div(dy, count));
        });
        return [grad, tf.zerosLike(tv)];
      },
    };
  });
  return op(ns, nt) as tf.Scalar;
}

/**
 * mean |A(fs) - A(ft)| over (B, N, N). `fs` and `ft` must agree in batch and spatial size (channels may
 * differ). Memory-bounded (see `affinityL1Normalized`); the teacher side gets no gradient (FAKD's teacher is frozen).
 * `detach`: the student side gets none either (the value of DUKD-code's detached term; see the file comment).
 */
export function affinityL1(fs: tf.Tensor4D, ft: tf.Tensor4D, opts: { readonly chunkRows?: number; readonly detach?: boolean } = {}): tf.Scalar {
  if (fs.shape[0] !== ft.shape[0] || fs.shape[1] !== ft.shape[1] || fs.shape[2] !== ft.shape[2]) {
    throw new Error(
      `affinityL1: student and teacher features must share batch and spatial size ` +
        `([${fs.shape.join(', ')}] vs [${ft.shape.join(', ')}])`,
    );
  }
  return tf.tidy(() => affinityL1Normalized(normalizePositions(fs), normalizePositions(ft), opts.chunkRows, opts.detach ?? false));
}

/** The same loss by plain autodiff over whole N×N maps (reference for tests; O(B·N²) memory). */
export function affinityL1Dense(fs: tf.Tensor4D, ft: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(spatialAffinity(fs), spatialAffinity(ft)))) as tf.Scalar);
}
