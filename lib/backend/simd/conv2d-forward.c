/*
 * Direct 2-D convolution (NHWC input, HWIO filter) with optional bias and ReLU, as register-blocked
 * wasm SIMD. Used for the forward conv and, with a flipped and transposed filter, for the input gradient
 * (stride 1), where XNNPACK's small-channel convs are slow (a 16 -> 3 conv ran at 11 GFLOP/s).
 *
 *   out[n][y][x][o] = act(bias[o] + sum over ky, kx, c of in[n][y*sh + ky - top][x*sw + kx - left][c] * w[ky][kx][c][o])
 *
 * Same memory rules as conv2d-backprop-filter.c: imported memory, no data, no stack.
 *
 * Tilings:
 *   along_co (co % 4 == 0): 4 output pixels x 8 output channels, one splat of x per pixel and channel;
 *   along_ci (ci % 4 == 0, any co): 4 pixels x 3 outputs with partial sums across input-channel lanes,
 *     reading the filter transposed to [ky][o][kx][c] (wt, prepared by the caller), summed across lanes at the end.
 */
#include <wasm_simd128.h>
#include "madd.h"

#define EXPORT(name) __attribute__((export_name(name)))

static inline v128_t act4(v128_t v, int relu) {
  return relu ? wasm_f32x4_max(v, wasm_f32x4_splat(0.0f)) : v;
}

/*
 * One output pixel, nr (8 or 4, a constant at every call) output channels at o, every tap checked
 * against the image bounds: the border pixels.
 */
static inline void pixel_co(const float *x, const float *w, const float *bias, float *out,
                            int h, int wd, int ci, int co, int kh, int kw, int iy, int ix, int o, int relu, int nr) {
  v128_t a0 = bias ? wasm_v128_load(bias + o) : wasm_f32x4_splat(0.0f);
  v128_t a1 = nr == 8 && bias ? wasm_v128_load(bias + o + 4) : wasm_f32x4_splat(0.0f);
  for (int ky = 0; ky < kh; ky++) {
    int row = iy + ky;
    if (row < 0 || row >= h) continue;
    for (int kx = 0; kx < kw; kx++) {
      int col = ix + kx;
      if (col < 0 || col >= wd) continue;
      const float *xp = x + (row * wd + col) * ci;
      const float *wp = w + ((ky * kw + kx) * ci) * co + o;
      for (int c = 0; c < ci; c++) {
        v128_t s = wasm_v128_load32_splat(xp + c);
        a0 = MADD(s, wasm_v128_load(wp), a0);
        if (nr == 8) a1 = MADD(s, wasm_v128_load(wp + 4), a1);
        wp += co;
      }
    }
  }
  wasm_v128_store(out + o, act4(a0, relu));
  if (nr == 8) wasm_v128_store(out + o + 4, act4(a1, relu));
}

/*
 * Four output pixels whose taps are in bounds for filter rows [ky0, ky1), 8 output channels at o.
 * xp0: x at the pixels' ky = 0, kx = 0 tap; xs = x step between the pixels.
 * wb: the HWIO filter's (ky = 0, kx = 0, c = 0, o) entry.
 */
__attribute__((noinline)) static void quad_co8(const float *xp0, int xs, const float *wb, int co, const float *bias, float *out, int ostep,
                            int wd, int ci, int ky0, int ky1, int kw, int o, int relu) {
  v128_t b0 = bias ? wasm_v128_load(bias + o) : wasm_f32x4_splat(0.0f);
  v128_t b1 = bias ? wasm_v128_load(bias + o + 4) : wasm_f32x4_splat(0.0f);
  v128_t a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  /* For one filter row, (kx, c) runs contiguously in both x and w: one loop of kw * ci. */
  int run = kw * ci;
  for (int ky = ky0; ky < ky1; ky++) {
    {
      const float *xp = xp0 + ky * wd * ci;
      const float *wp = wb + ky * run * co;
      for (int c = 0; c < run; c++) {
        v128_t w0 = wasm_v128_load(wp), w1 = wasm_v128_load(wp + 4);
        v128_t s = wasm_v128_load32_splat(xp);
        a00 = MADD(s, w0, a00);
        a01 = MADD(s, w1, a01);
        s = wasm_v128_load32_splat(xp + xs);
        a10 = MADD(s, w0, a10);
        a11 = MADD(s, w1, a11);
        s = wasm_v128_load32_splat(xp + 2 * xs);
        a20 = MADD(s, w0, a20);
        a21 = MADD(s, w1, a21);
        s = wasm_v128_load32_splat(xp + 3 * xs);
        a30 = MADD(s, w0, a30);
        a31 = MADD(s, w1, a31);
        xp += 1;
        wp += co;
      }
    }
  }
  wasm_v128_store(out + o, act4(a00, relu)); wasm_v128_store(out + o + 4, act4(a01, relu));
  out += ostep;
  wasm_v128_store(out + o, act4(a10, relu)); wasm_v128_store(out + o + 4, act4(a11, relu));
  out += ostep;
  wasm_v128_store(out + o, act4(a20, relu)); wasm_v128_store(out + o + 4, act4(a21, relu));
  out += ostep;
  wasm_v128_store(out + o, act4(a30, relu)); wasm_v128_store(out + o + 4, act4(a31, relu));
}

/* Four interior pixels, 4 output channels at o (the co % 8 == 4 remainder). */
__attribute__((noinline)) static void quad_co4(const float *xp0, int xs, const float *wb, int co, const float *bias, float *out, int ostep,
                            int wd, int ci, int ky0, int ky1, int kw, int o, int relu) {
  v128_t b0 = bias ? wasm_v128_load(bias + o) : wasm_f32x4_splat(0.0f);
  v128_t a0 = b0, a1 = b0, a2 = b0, a3 = b0;
  /* For one filter row, (kx, c) runs contiguously in both x and w: one loop of kw * ci. */
  int run = kw * ci;
  for (int ky = ky0; ky < ky1; ky++) {
    {
      const float *xp = xp0 + ky * wd * ci;
      const float *wp = wb + ky * run * co;
      for (int c = 0; c < run; c++) {
        v128_t w0 = wasm_v128_load(wp);
        a0 = MADD(wasm_v128_load32_splat(xp), w0, a0);
        a1 = MADD(wasm_v128_load32_splat(xp + xs), w0, a1);
        a2 = MADD(wasm_v128_load32_splat(xp + 2 * xs), w0, a2);
        a3 = MADD(wasm_v128_load32_splat(xp + 3 * xs), w0, a3);
        xp += 1;
        wp += co;
      }
    }
  }
  wasm_v128_store(out + o, act4(a0, relu));
  wasm_v128_store(out + ostep + o, act4(a1, relu));
  wasm_v128_store(out + 2 * ostep + o, act4(a2, relu));
  wasm_v128_store(out + 3 * ostep + o, act4(a3, relu));
}

static inline float hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) +
         wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

static inline float act1(float v, int relu) { return relu && v < 0.0f ? 0.0f : v; }

/* One pixel, k (1..3) outputs at o, vectors along ci, every tap checked against the image bounds. */
static void pixel_ci(const float *x, const float *wt, const float *bias, float *out,
                     int h, int wd, int ci, int co, int kh, int kw, int iy, int ix, int o, int k, int relu) {
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0;
  for (int ky = 0; ky < kh; ky++) {
    int row = iy + ky;
    if (row < 0 || row >= h) continue;
    for (int kx = 0; kx < kw; kx++) {
      int col = ix + kx;
      if (col < 0 || col >= wd) continue;
      const float *xp = x + (row * wd + col) * ci;
      const float *wp = wt + ((ky * co + o) * kw + kx) * ci;
      int ostep = kw * ci;
      for (int c = 0; c < ci; c += 4) {
        v128_t xv = wasm_v128_load(xp + c);
        a0 = MADD(xv, wasm_v128_load(wp + c), a0);
        if (k > 1) a1 = MADD(xv, wasm_v128_load(wp + ostep + c), a1);
        if (k > 2) a2 = MADD(xv, wasm_v128_load(wp + 2 * ostep + c), a2);
      }
    }
  }
  out[o] = act1(hsum(a0) + (bias ? bias[o] : 0.0f), relu);
  if (k > 1) out[o + 1] = act1(hsum(a1) + (bias ? bias[o + 1] : 0.0f), relu);
  if (k > 2) out[o + 2] = act1(hsum(a2) + (bias ? bias[o + 2] : 0.0f), relu);
}

/* Four interior pixels (xs apart), 3 outputs, fully unrolled for the registers. */
static inline void quad_ci3(const float *xp0, int xs, const float *wt, const float *bias, float *out,
                            int wd, int ci, int co, int ky0, int ky1, int kw, int o, int relu) {
  v128_t z = wasm_f32x4_splat(0.0f);
  v128_t a00 = z, a01 = z, a02 = z, a10 = z, a11 = z, a12 = z, a20 = z, a21 = z, a22 = z, a30 = z, a31 = z, a32 = z;
  int run = kw * ci; /* (kx, c) is contiguous in x and, in wt's [ky][o][kx][c] layout, in the filter */
  for (int ky = ky0; ky < ky1; ky++) {
    {
      const float *xp = xp0 + ky * wd * ci;
      const float *wp = wt + (ky * co + o) * run;
      for (int c = 0; c < run; c += 4) {
        v128_t w0 = wasm_v128_load(wp + c), w1 = wasm_v128_load(wp + run + c), w2 = wasm_v128_load(wp + 2 * run + c);
        v128_t xv = wasm_v128_load(xp + c);
        a00 = MADD(xv, w0, a00);
        a01 = MADD(xv, w1, a01);
        a02 = MADD(xv, w2, a02);
        xv = wasm_v128_load(xp + xs + c);
        a10 = MADD(xv, w0, a10);
        a11 = MADD(xv, w1, a11);
        a12 = MADD(xv, w2, a12);
        xv = wasm_v128_load(xp + 2 * xs + c);
        a20 = MADD(xv, w0, a20);
        a21 = MADD(xv, w1, a21);
        a22 = MADD(xv, w2, a22);
        xv = wasm_v128_load(xp + 3 * xs + c);
        a30 = MADD(xv, w0, a30);
        a31 = MADD(xv, w1, a31);
        a32 = MADD(xv, w2, a32);
      }
    }
  }
  float b0 = bias ? bias[o] : 0.0f, b1 = bias ? bias[o + 1] : 0.0f, b2 = bias ? bias[o + 2] : 0.0f;
  out[o] = act1(hsum(a00) + b0, relu); out[o + 1] = act1(hsum(a01) + b1, relu); out[o + 2] = act1(hsum(a02) + b2, relu);
  out += co;
  out[o] = act1(hsum(a10) + b0, relu); out[o + 1] = act1(hsum(a11) + b1, relu); out[o + 2] = act1(hsum(a12) + b2, relu);
  out += co;
  out[o] = act1(hsum(a20) + b0, relu); out[o + 1] = act1(hsum(a21) + b1, relu); out[o + 2] = act1(hsum(a22) + b2, relu);
  out += co;
  out[o] = act1(hsum(a30) + b0, relu); out[o + 1] = act1(hsum(a31) + b1, relu); out[o + 2] = act1(hsum(a32) + b2, relu);
}

/*
 * mode 0: along co (w is HWIO, co % 4 == 0); mode 1: along ci (wt is [kh][co][kw][ci], ci % 4 == 0).
 * bias may be 0 (none). relu: 0 or 1. Returns 0, or -1 when the shape does not fit the mode.
 */
EXPORT("conv2d_forward")
int conv2d_forward(const float *x, const float *w, const float *bias, float *out,
                   int n, int h, int wd, int ci, int oh, int ow, int co,
                   int kh, int kw, int sh, int sw, int top, int left, int relu, int mode) {
  if (mode == 0 && (co & 3)) return -1;
  if (mode == 1 && (ci & 3)) return -1;
  /* Output columns whose taps all lie inside the image: ox*sw - left >= 0 and ox*sw - left + kw - 1 <= wd - 1. */
  int xa = (left + sw - 1) / sw;
  int lastOk = wd - kw + left; /* ox*sw <= lastOk */
  int xb = lastOk < 0 ? 0 : lastOk / sw + 1;
  if (xb > ow) xb = ow;
  if (xa > xb) xa = xb;
  for (int b = 0; b < n; b++) {
    const float *xi = x + b * h * wd * ci;
    for (int y = 0; y < oh; y++) {
      int iy = y * sh - top;
      float *orow = out + ((b * oh + y) * ow) * co;
      /* Filter rows inside the image; the tiles skip the others (top and bottom output rows). */
      int ky0 = iy < 0 ? -iy : 0, ky1 = iy + kh > h ? h - iy : kh;
      int q0 = ky1 > ky0 ? xa : ow, q1 = ky1 > ky0 ? xb : ow; /* columns whose taps are all inside: [q0, q1) */
      /* Separate loops per tiling: sharing one loop made V8's code for the 3-output tile ~20 % slower. */
      if (mode == 1) {
        for (int ox = 0; ox < ow;) {
          if (co == 3 && ox >= q0 && ox + 4 <= q1) {
            quad_ci3(xi + (iy * wd + ox * sw - left) * ci, sw * ci, w, bias, orow + ox * co, wd, ci, co, ky0, ky1, kw, 0, relu);
            ox += 4;
            continue;
          }
          for (int o = 0; o < co; o += 3) {
            int k = co - o < 3 ? co - o : 3;
            pixel_ci(xi, w, bias, orow + ox * co, h, wd, ci, co, kh, kw, iy, ox * sw - left, o, k, relu);
          }
          ox += 1;
        }
        continue;
      }
      /* The interior run goes in quads; when its length is not a multiple of 4 the last quad overlaps the
         one before (outputs are written, not accumulated, so recomputing a pixel is harmless). Pixels
         outside it (left and right borders, runs under 4) take the checked per-pixel path. */
      int quads = q1 - q0 >= 4;
      for (int ox = 0; ox < ow;) {
        if (quads && ox == q0) {
          for (int s0 = q0; s0 < q1; s0 += 4) {
            int sx = s0 + 4 <= q1 ? s0 : q1 - 4;
            const float *xp0 = xi + (iy * wd + sx * sw - left) * ci;
            float *op = orow + sx * co;
            int o = 0;
            for (; o + 8 <= co; o += 8) {
              quad_co8(xp0, sw * ci, w + o, co, bias, op, co, wd, ci, ky0, ky1, kw, o, relu);
            }
            if (o < co) {
              quad_co4(xp0, sw * ci, w + o, co, bias, op, co, wd, ci, ky0, ky1, kw, o, relu);
            }
          }
          ox = q1;
          continue;
        }
        int o = 0;
        for (; o + 8 <= co; o += 8) pixel_co(xi, w, bias, orow + ox * co, h, wd, ci, co, kh, kw, iy, ox * sw - left, o, relu, 8);
        if (o < co) pixel_co(xi, w, bias, orow + ox * co, h, wd, ci, co, kh, kw, iy, ox * sw - left, o, relu, 4);
        ox += 1;
      }
    }
  }
  return 0;
}
