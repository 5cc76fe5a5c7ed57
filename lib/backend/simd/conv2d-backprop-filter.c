/*
 * Conv2DBackpropFilter for the wasm backend as a register-blocked wasm-SIMD kernel.
 *
 *   dw[kh][kw][ci][co] += sum over n, y, x of  in[n][y*sh + kh - top][x*sw + kw - left][ci] * dy[n][y][x][co]
 *
 * All tensors NHWC / HWIO float32, living in tfjs-backend-wasm's own linear memory (this module imports
 * it, so it must not own data, globals or a stack: everything stays in wasm locals).
 *
 * Why a kernel of our own: XNNPACK has no filter-gradient op, and expressing dW as a forward conv with
 * an image-sized filter makes XNNPACK repack that filter on every call (9 GFLOP/s per core measured,
 * vs ~27 for the forward conv). Here dW is a GEMM over pixels, C[tap*ci][co] += A[pixel][tap*ci] B[pixel][co],
 * computed one output row at a time so the rows of x and dy it touches stay in L1 while every
 * (tap, channel block) accumulator tile sweeps them.
 *
 * Two register tilings, chosen by the caller:
 *   along_co: 4 input channels x 8 output channels (vectors along co; needs co % 4 == 0)
 *   along_ci: 8 input channels x 3 output channels  (vectors along ci; needs ci % 4 == 0, for co = 1..3 etc.)
 *
 * Build: scripts/build-simd.sh (clang --target=wasm32 -msimd128 -O3, no libc, imported memory).
 */
#include <wasm_simd128.h>
#include "madd.h"

#define EXPORT(name) __attribute__((export_name(name)))

/* First output column whose tap column is inside the image, and one past the last. */
static inline int col_begin(int kx, int sw, int left) {
  int d = left - kx; /* need x*sw >= d */
  return d <= 0 ? 0 : (d + sw - 1) / sw;
}
static inline int col_end(int kx, int sw, int left, int w, int ow) {
  int d = w - 1 + left - kx; /* need x*sw <= d */
  if (d < 0) return 0;
  int e = d / sw + 1;
  return e < ow ? e : ow;
}

/* acc[4 ci][8 co] over one row segment; xp steps by xstep floats, dp by co floats. */
static inline void tile_4x8(const float *xp, int xstep, const float *dp, int dstep, int count, float *dw, int co) {
  v128_t a00 = wasm_v128_load(dw), a01 = wasm_v128_load(dw + 4);
  v128_t a10 = wasm_v128_load(dw + co), a11 = wasm_v128_load(dw + co + 4);
  v128_t a20 = wasm_v128_load(dw + 2 * co), a21 = wasm_v128_load(dw + 2 * co + 4);
  v128_t a30 = wasm_v128_load(dw + 3 * co), a31 = wasm_v128_load(dw + 3 * co + 4);
  for (int i = 0; i < count; i++) {
    v128_t b0 = wasm_v128_load(dp), b1 = wasm_v128_load(dp + 4);
    v128_t s = wasm_v128_load32_splat(xp);
    a00 = MADD(s, b0, a00);
    a01 = MADD(s, b1, a01);
    s = wasm_v128_load32_splat(xp + 1);
    a10 = MADD(s, b0, a10);
    a11 = MADD(s, b1, a11);
    s = wasm_v128_load32_splat(xp + 2);
    a20 = MADD(s, b0, a20);
    a21 = MADD(s, b1, a21);
    s = wasm_v128_load32_splat(xp + 3);
    a30 = MADD(s, b0, a30);
    a31 = MADD(s, b1, a31);
    xp += xstep;
    dp += dstep;
  }
  wasm_v128_store(dw, a00); wasm_v128_store(dw + 4, a01);
  wasm_v128_store(dw + co, a10); wasm_v128_store(dw + co + 4, a11);
  wasm_v128_store(dw + 2 * co, a20); wasm_v128_store(dw + 2 * co + 4, a21);
  wasm_v128_store(dw + 3 * co, a30); wasm_v128_store(dw + 3 * co + 4, a31);
}

/* acc[rows ci][4 co] for the ragged edges (rows 1..4, one vector of co). */
static inline void tile_nx4(const float *xp, int xstep, const float *dp, int dstep, int count, float *dw, int co, int rows) {
  for (int r = 0; r < rows; r++) {
    v128_t a = wasm_v128_load(dw + r * co);
    const float *xq = xp + r, *dq = dp;
    for (int i = 0; i < count; i++) {
      a = MADD(wasm_v128_load32_splat(xq), wasm_v128_load(dq), a);
      xq += xstep;
      dq += dstep;
    }
    wasm_v128_store(dw + r * co, a);
  }
}

/* Vectors along co (co % 4 == 0). */
static void row_along_co(const float *xrow, const float *dyrow, float *dwtap, int ci, int co, int sw, int x0, int x1, int colOff) {
  int count = x1 - x0;
  if (count <= 0) return;
  int xstep = sw * ci;
  const float *xbase = xrow + (x0 * sw + colOff) * ci;
  const float *dbase = dyrow + x0 * co;
  int c = 0;
  for (; c + 4 <= ci; c += 4) {
    int o = 0;
    for (; o + 8 <= co; o += 8) tile_4x8(xbase + c, xstep, dbase + o, co, count, dwtap + c * co + o, co);
    if (o < co) tile_nx4(xbase + c, xstep, dbase + o, co, count, dwtap + c * co + o, co, 4);
  }
  if (c < ci) {
    for (int o = 0; o < co; o += 4) tile_nx4(xbase + c, xstep, dbase + o, co, count, dwtap + c * co + o, co, ci - c);
  }
}

static inline void add_lanes(float *dw, int co, v128_t lo, v128_t hi) {
  dw[0] += wasm_f32x4_extract_lane(lo, 0);
  dw[co] += wasm_f32x4_extract_lane(lo, 1);
  dw[2 * co] += wasm_f32x4_extract_lane(lo, 2);
  dw[3 * co] += wasm_f32x4_extract_lane(lo, 3);
  dw[4 * co] += wasm_f32x4_extract_lane(hi, 0);
  dw[5 * co] += wasm_f32x4_extract_lane(hi, 1);
  dw[6 * co] += wasm_f32x4_extract_lane(hi, 2);
  dw[7 * co] += wasm_f32x4_extract_lane(hi, 3);
}

/* Vectors along ci (ci % 4 == 0): acc[8 ci][up to 3 co], scattered into dw's [ci][co] rows at the end. */
static inline void tile_8xk(const float *xp, int xstep, const float *dp, int dstep, int count, float *dw, int co, int k) {
  v128_t z = wasm_f32x4_splat(0.0f);
  v128_t a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z;
  for (int i = 0; i < count; i++) {
    v128_t x0 = wasm_v128_load(xp), x1 = wasm_v128_load(xp + 4);
    v128_t s = wasm_v128_load32_splat(dp);
    a00 = MADD(x0, s, a00);
    a01 = MADD(x1, s, a01);
    if (k > 1) {
      s = wasm_v128_load32_splat(dp + 1);
      a10 = MADD(x0, s, a10);
      a11 = MADD(x1, s, a11);
    }
    if (k > 2) {
      s = wasm_v128_load32_splat(dp + 2);
      a20 = MADD(x0, s, a20);
      a21 = MADD(x1, s, a21);
    }
    xp += xstep;
    dp += dstep;
  }
  /* Lane extracts rather than a float[8] spill: this module has no stack of its own. */
  add_lanes(dw, co, a00, a01);
  if (k > 1) add_lanes(dw + 1, co, a10, a11);
  if (k > 2) add_lanes(dw + 2, co, a20, a21);
}

static void row_along_ci(const float *xrow, const float *dyrow, float *dwtap, int ci, int co, int sw, int x0, int x1, int colOff) {
  int count = x1 - x0;
  if (count <= 0) return;
  int xstep = sw * ci;
  const float *xbase = xrow + (x0 * sw + colOff) * ci;
  const float *dbase = dyrow + x0 * co;
  for (int c = 0; c < ci; c += 8) {
    /* ci % 4 == 0: a last block of 4 runs the 8-wide tile on a 4-channel half (upper lanes unused). */
    for (int o = 0; o < co; o += 3) {
      int k = co - o < 3 ? co - o : 3;
      if (c + 8 <= ci) {
        tile_8xk(xbase + c, xstep, dbase + o, co, count, dwtap + c * co + o, co, k);
      } else {
        /* 4 channels left: scalar-free path through the 4x4 tile with transposed roles is not worth it. */
        for (int r = 0; r < 4; r++) {
          for (int q = 0; q < k; q++) {
            float s = 0.0f;
            const float *xq = xbase + c + r, *dq = dbase + o + q;
            for (int i = 0; i < count; i++) { s += *xq * *dq; xq += xstep; dq += co; }
            dwtap[(c + r) * co + o + q] += s;
          }
        }
      }
    }
  }
}

/*
 * dw must be zeroed by the caller (it accumulates). mode 0: along co; mode 1: along ci.
 * Returns 0, or -1 if the shape does not fit the chosen mode.
 */
EXPORT("conv2d_backprop_filter")
int conv2d_backprop_filter(const float *x, const float *dy, float *dw,
                           int n, int h, int w, int ci,
                           int oh, int ow, int co,
                           int kh, int kw, int sh, int sw, int top, int left, int mode) {
  if (mode == 0 && (co & 3)) return -1;
  if (mode == 1 && (ci & 3)) return -1;
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < oh; y++) {
      const float *dyrow = dy + ((b * oh + y) * ow) * co;
      for (int ky = 0; ky < kh; ky++) {
        int row = y * sh + ky - top;
        if (row < 0 || row >= h) continue;
        const float *xrow = x + ((b * h + row) * w) * ci;
        for (int kx = 0; kx < kw; kx++) {
          int x0 = col_begin(kx, sw, left), x1 = col_end(kx, sw, left, w, ow);
          float *dwtap = dw + (ky * kw + kx) * ci * co;
          if (mode == 0) row_along_co(xrow, dyrow, dwtap, ci, co, sw, x0, x1, kx - left);
          else row_along_ci(xrow, dyrow, dwtap, ci, co, sw, x0, x1, kx - left);
        }
      }
    }
  }
  return 0;
}
