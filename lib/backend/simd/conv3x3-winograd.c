/*
 * 3x3 stride-1 convolution by Winograd F(2x2, 3x3) (Lavin & Gray 2016): each 2x2 output tile costs 16
 * multiplications per (input, output) channel pair instead of 36, i.e. 2.25x fewer, paid for with input and
 * output transforms that are additions only. NHWC input, HWIO filter, optional bias and ReLU, same memory
 * rules as the other kernels (imported memory, no stack, no data; scratch buffers come from the caller).
 *
 *   U = G g G^T      (per ci, co; 4x4)        V = B^T d B   (per tile, ci; 4x4 input patch d)
 *   M[xi] = V[xi] (tiles x ci) . U[xi] (ci x co)   for the 16 positions xi
 *   Y = A^T M A      (2x2 outputs per tile)
 *
 * Vectors run along channels, so ci % 4 == 0 and co % 4 == 0 are required (the caller checks).
 */
#include <wasm_simd128.h>
#include "madd.h"

#define EXPORT(name) __attribute__((export_name(name)))

/* U[xi][c][o] from the HWIO filter w[ky][kx][c][o], co % 4 == 0. */
static void transform_filter(const float *w, float *u, int ci, int co) {
  v128_t h = wasm_f32x4_splat(0.5f);
  for (int c = 0; c < ci; c++) {
    for (int o = 0; o < co; o += 4) {
      v128_t g[3][3];
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++) g[ky][kx] = wasm_v128_load(w + ((ky * 3 + kx) * ci + c) * co + o);
      /* t = G g (4x3) */
      v128_t t[4][3];
      for (int j = 0; j < 3; j++) {
        t[0][j] = g[0][j];
        t[1][j] = wasm_f32x4_mul(h, wasm_f32x4_add(wasm_f32x4_add(g[0][j], g[1][j]), g[2][j]));
        t[2][j] = wasm_f32x4_mul(h, wasm_f32x4_add(wasm_f32x4_sub(g[0][j], g[1][j]), g[2][j]));
        t[3][j] = g[2][j];
      }
      /* U = t G^T (4x4) */
      for (int i = 0; i < 4; i++) {
        v128_t r0 = t[i][0];
        v128_t r1 = wasm_f32x4_mul(h, wasm_f32x4_add(wasm_f32x4_add(t[i][0], t[i][1]), t[i][2]));
        v128_t r2 = wasm_f32x4_mul(h, wasm_f32x4_add(wasm_f32x4_sub(t[i][0], t[i][1]), t[i][2]));
        v128_t r3 = t[i][2];
        wasm_v128_store(u + ((i * 4 + 0) * ci + c) * co + o, r0);
        wasm_v128_store(u + ((i * 4 + 1) * ci + c) * co + o, r1);
        wasm_v128_store(u + ((i * 4 + 2) * ci + c) * co + o, r2);
        wasm_v128_store(u + ((i * 4 + 3) * ci + c) * co + o, r3);
      }
    }
  }
}

/* V[xi][t][c..c+3] for one tile whose 4x4 input patch starts at (iy, ix) of image xi_img (zeros outside). */
static inline void transform_input(const float *img, int h, int wd, int ci, int iy, int ix, int c, float *v, int tstride) {
  v128_t d[4][4];
  v128_t z = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < 4; i++) {
    int row = iy + i;
    for (int j = 0; j < 4; j++) {
      int col = ix + j;
      d[i][j] = (row >= 0 && row < h && col >= 0 && col < wd) ? wasm_v128_load(img + (row * wd + col) * ci + c) : z;
    }
  }
  v128_t t[4][4];
  for (int j = 0; j < 4; j++) {
    t[0][j] = wasm_f32x4_sub(d[0][j], d[2][j]);
    t[1][j] = wasm_f32x4_add(d[1][j], d[2][j]);
    t[2][j] = wasm_f32x4_sub(d[2][j], d[1][j]);
    t[3][j] = wasm_f32x4_sub(d[1][j], d[3][j]);
  }
  for (int i = 0; i < 4; i++) {
    wasm_v128_store(v + (i * 4 + 0) * tstride, wasm_f32x4_sub(t[i][0], t[i][2]));
    wasm_v128_store(v + (i * 4 + 1) * tstride, wasm_f32x4_add(t[i][1], t[i][2]));
    wasm_v128_store(v + (i * 4 + 2) * tstride, wasm_f32x4_sub(t[i][2], t[i][1]));
    wasm_v128_store(v + (i * 4 + 3) * tstride, wasm_f32x4_sub(t[i][1], t[i][3]));
  }
}

/* m[t..t+3][o..o+7] = V[t..t+3][:] . U[:][o..o+7] for one xi (V rows of ci floats, U rows of co floats). */
__attribute__((noinline)) static void gemm_4x8(const float *v, const float *u, float *m, int ci, int co) {
  v128_t z = wasm_f32x4_splat(0.0f);
  v128_t a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
  const float *v0 = v, *v1 = v + ci, *v2 = v + 2 * ci, *v3 = v + 3 * ci;
  for (int c = 0; c < ci; c++) {
    v128_t u0 = wasm_v128_load(u), u1 = wasm_v128_load(u + 4);
    v128_t s = wasm_v128_load32_splat(v0 + c);
    a00 = MADD(s, u0, a00); a01 = MADD(s, u1, a01);
    s = wasm_v128_load32_splat(v1 + c);
    a10 = MADD(s, u0, a10); a11 = MADD(s, u1, a11);
    s = wasm_v128_load32_splat(v2 + c);
    a20 = MADD(s, u0, a20); a21 = MADD(s, u1, a21);
    s = wasm_v128_load32_splat(v3 + c);
    a30 = MADD(s, u0, a30); a31 = MADD(s, u1, a31);
    u += co;
  }
  wasm_v128_store(m, a00); wasm_v128_store(m + 4, a01);
  wasm_v128_store(m + co, a10); wasm_v128_store(m + co + 4, a11);
  wasm_v128_store(m + 2 * co, a20); wasm_v128_store(m + 2 * co + 4, a21);
  wasm_v128_store(m + 3 * co, a30); wasm_v128_store(m + 3 * co + 4, a31);
}

/* As gemm_4x8 for a last block of 4 output channels (co % 8 == 4). */
__attribute__((noinline)) static void gemm_4x4(const float *v, const float *u, float *m, int ci, int co) {
  v128_t z = wasm_f32x4_splat(0.0f);
  v128_t a0 = z, a1 = z, a2 = z, a3 = z;
  for (int c = 0; c < ci; c++) {
    v128_t u0 = wasm_v128_load(u);
    a0 = MADD(wasm_v128_load32_splat(v + c), u0, a0);
    a1 = MADD(wasm_v128_load32_splat(v + ci + c), u0, a1);
    a2 = MADD(wasm_v128_load32_splat(v + 2 * ci + c), u0, a2);
    a3 = MADD(wasm_v128_load32_splat(v + 3 * ci + c), u0, a3);
    u += co;
  }
  wasm_v128_store(m, a0);
  wasm_v128_store(m + co, a1);
  wasm_v128_store(m + 2 * co, a2);
  wasm_v128_store(m + 3 * co, a3);
}

/* Tiles per block: V [16][TB][ci] and M [16][TB][co] stay in L2. */
#define TB 32

/*
 * out[n][oh][ow][co] = act(bias + conv3x3(x, w)) for stride 1 with padding (top, left) (oh, ow given).
 * Scratch (floats): u 16*ci*co, v 16*TB*ci, m 16*TB*co. Returns 0, or -1 if ci or co is not a multiple of 4.
 */
EXPORT("conv3x3_winograd")
int conv3x3_winograd(const float *x, const float *w, const float *bias, float *out,
                     int n, int h, int wd, int ci, int oh, int ow, int co, int top, int left, int relu,
                     float *u, float *v, float *m) {
  if ((ci & 3) || (co & 3)) return -1;
  transform_filter(w, u, ci, co);
  int th = (oh + 1) / 2, tw = (ow + 1) / 2;
  int tiles = n * th * tw;
  v128_t zero = wasm_f32x4_splat(0.0f);
  for (int t0 = 0; t0 < tiles; t0 += TB) {
    int nt = tiles - t0 < TB ? tiles - t0 : TB;
    int ntp = (nt + 3) & ~3; /* GEMM rows in fours; the padding rows are zeros */
    /* input transform: V[xi][t][c] */
    for (int t = 0; t < ntp; t++) {
      if (t >= nt) {
        for (int xi = 0; xi < 16; xi++)
          for (int c = 0; c < ci; c += 4) wasm_v128_store(v + (xi * TB + t) * ci + c, zero);
        continue;
      }
      int g = t0 + t, b = g / (th * tw), r = g % (th * tw), ty = r / tw, tx = r % tw;
      const float *img = x + (long)b * h * wd * ci;
      for (int c = 0; c < ci; c += 4)
        transform_input(img, h, wd, ci, 2 * ty - top, 2 * tx - left, c, v + t * ci + c, TB * ci);
    }
    /* 16 GEMMs: M[xi] (ntp x co) = V[xi] (ntp x ci) . U[xi] (ci x co) */
    for (int xi = 0; xi < 16; xi++) {
      const float *vx = v + xi * TB * ci, *ux = u + xi * ci * co;
      float *mx = m + xi * TB * co;
      for (int t = 0; t < ntp; t += 4) {
        int o = 0;
        for (; o + 8 <= co; o += 8) gemm_4x8(vx + t * ci, ux + o, mx + t * co + o, ci, co);
        if (o < co) gemm_4x4(vx + t * ci, ux + o, mx + t * co + o, ci, co);
      }
    }
    /* output transform: Y = A^T M A, + bias, ReLU, written where inside the output */
    for (int t = 0; t < nt; t++) {
      int g = t0 + t, b = g / (th * tw), r = g % (th * tw), ty = r / tw, tx = r % tw;
      int y0 = 2 * ty, x0 = 2 * tx;
      float *ob = out + (long)b * oh * ow * co;
      for (int o = 0; o < co; o += 4) {
        v128_t mm[16];
        for (int xi = 0; xi < 16; xi++) mm[xi] = wasm_v128_load(m + (xi * TB + t) * co + o);
        v128_t s0[4], s1[4];
        for (int j = 0; j < 4; j++) {
          s0[j] = wasm_f32x4_add(wasm_f32x4_add(mm[j], mm[4 + j]), mm[8 + j]);
          s1[j] = wasm_f32x4_sub(wasm_f32x4_sub(mm[4 + j], mm[8 + j]), mm[12 + j]);
        }
        v128_t bv = bias ? wasm_v128_load(bias + o) : zero;
        v128_t y00 = wasm_f32x4_add(bv, wasm_f32x4_add(wasm_f32x4_add(s0[0], s0[1]), s0[2]));
        v128_t y01 = wasm_f32x4_add(bv, wasm_f32x4_sub(wasm_f32x4_sub(s0[1], s0[2]), s0[3]));
        v128_t y10 = wasm_f32x4_add(bv, wasm_f32x4_add(wasm_f32x4_add(s1[0], s1[1]), s1[2]));
        v128_t y11 = wasm_f32x4_add(bv, wasm_f32x4_sub(wasm_f32x4_sub(s1[1], s1[2]), s1[3]));
        if (relu) {
          y00 = wasm_f32x4_max(y00, zero); y01 = wasm_f32x4_max(y01, zero);
          y10 = wasm_f32x4_max(y10, zero); y11 = wasm_f32x4_max(y11, zero);
        }
        wasm_v128_store(ob + (y0 * ow + x0) * co + o, y00);
        if (x0 + 1 < ow) wasm_v128_store(ob + (y0 * ow + x0 + 1) * co + o, y01);
        if (y0 + 1 < oh) {
          wasm_v128_store(ob + ((y0 + 1) * ow + x0) * co + o, y10);
          if (x0 + 1 < ow) wasm_v128_store(ob + ((y0 + 1) * ow + x0 + 1) * co + o, y11);
        }
      }
    }
  }
  return 0;
}

/* Tiles per block, for the caller's scratch sizes (v: 16 * TB * ci floats, m: 16 * TB * co). */
EXPORT("winograd_block_tiles")
int winograd_block_tiles(void) { return TB; }
