/*
 * Column sums of a row-major float32 [rows][width] array, accumulated in float64 in row order: the
 * bias gradient (dy [N,H,W,C] summed over N,H,W). Bit-identical to the plain double loop it replaces
 * (lib/backend/wasm-kernels/sum.ts sumRows) since every column sees the same float64 additions in
 * the same order; SIMD only does 8 columns at a time. Same memory rules as the other kernels.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* out[j] = sum over r of x[r*width + j], written as float32. acc: float64 scratch of `width` (caller's). */
EXPORT("sum_rows")
void sum_rows(const float *x, float *out, double *acc, int rows, int width) {
  for (int j = 0; j < width; j++) acc[j] = 0.0;
  /* Rows in tiles of ~16 KB so every column block re-reads the tile from L1. */
  int tile = width > 0 ? 4096 / width : 1;
  if (tile < 1) tile = 1;
  for (int r0 = 0; r0 < rows; r0 += tile) {
    int r1 = r0 + tile < rows ? r0 + tile : rows;
    int j = 0;
    for (; j + 8 <= width; j += 8) {
      v128_t a0 = wasm_v128_load(acc + j), a1 = wasm_v128_load(acc + j + 2);
      v128_t a2 = wasm_v128_load(acc + j + 4), a3 = wasm_v128_load(acc + j + 6);
      const float *p = x + (long)r0 * width + j;
      for (int r = r0; r < r1; r++) {
        v128_t lo = wasm_v128_load(p), hi = wasm_v128_load(p + 4);
        a0 = wasm_f64x2_add(a0, wasm_f64x2_promote_low_f32x4(lo));
        a1 = wasm_f64x2_add(a1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(lo, lo, 2, 3, 2, 3)));
        a2 = wasm_f64x2_add(a2, wasm_f64x2_promote_low_f32x4(hi));
        a3 = wasm_f64x2_add(a3, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(hi, hi, 2, 3, 2, 3)));
        p += width;
      }
      wasm_v128_store(acc + j, a0); wasm_v128_store(acc + j + 2, a1);
      wasm_v128_store(acc + j + 4, a2); wasm_v128_store(acc + j + 6, a3);
    }
    for (; j < width; j++) {
      double a = acc[j];
      const float *p = x + (long)r0 * width + j;
      for (int r = r0; r < r1; r++) { a += (double)*p; p += width; }
      acc[j] = a;
    }
  }
  for (int j = 0; j < width; j++) out[j] = (float)acc[j];
}
