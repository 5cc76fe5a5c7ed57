/*
 * The two 5-D transposes behind PyTorch's PixelShuffle on NHWC tensors (lib/models/layers/pixel-shuffle.ts):
 *   shuffle:   in [A][W][C][r][r]  ->  out [A][r][W][r][C]   (transpose perm [0,3,1,4,2])
 *   unshuffle: in [A][r][W][r][C]  ->  out [A][W][C][r][r]   (perm [0,2,4,1,3], its gradient)
 * with A = N*H. For each (a, w) this is a [C][r*r] <-> [r*r][C] matrix transpose; for r = 2 and C % 4 == 0
 * it runs as 4x4 SIMD block transposes. Same memory rules as the other kernels (imported memory, no stack).
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* 4x4 transpose of rows r0..r3 (each 4 floats) in registers. */
#define TRANSPOSE4(r0, r1, r2, r3)                                  \
  do {                                                              \
    v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);             \
    v128_t t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);             \
    v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);             \
    v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);             \
    r0 = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);                    \
    r1 = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);                    \
    r2 = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);                    \
    r3 = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);                    \
  } while (0)

/*
 * inverse 0: shuffle (in is [A][W][C][r][r]); inverse 1: unshuffle (in is [A][r][W][r][C]).
 * Elements are 4 bytes (float32 or int32: the bits are moved, not interpreted).
 */
EXPORT("pixel_shuffle")
void pixel_shuffle(const float *in, float *out, int A, int W, int C, int r, int inverse) {
  int rr = r * r;
  for (int a = 0; a < A; a++) {
    for (int w = 0; w < W; w++) {
      /* packed side: [C][r][r] block of pixel (a, w); spread side: rows (i, j) at ((a*r + i)*W + w)*r*C + j*C */
      int packed = (a * W + w) * C * rr;
      int spread0 = ((a * r) * W + w) * r * C;
      int rowStep = W * r * C; /* next i */
      if (r == 2 && (C & 3) == 0) {
        float *p00 = (inverse ? (float *)in : out) + spread0;
        float *p01 = p00 + C, *p10 = p00 + rowStep, *p11 = p10 + C;
        for (int c = 0; c < C; c += 4) {
          if (!inverse) {
            const float *src = in + packed + c * 4;
            v128_t r0 = wasm_v128_load(src), r1 = wasm_v128_load(src + 4), r2 = wasm_v128_load(src + 8), r3 = wasm_v128_load(src + 12);
            TRANSPOSE4(r0, r1, r2, r3);
            wasm_v128_store(p00 + c, r0); wasm_v128_store(p01 + c, r1);
            wasm_v128_store(p10 + c, r2); wasm_v128_store(p11 + c, r3);
          } else {
            v128_t r0 = wasm_v128_load(p00 + c), r1 = wasm_v128_load(p01 + c), r2 = wasm_v128_load(p10 + c), r3 = wasm_v128_load(p11 + c);
            TRANSPOSE4(r0, r1, r2, r3);
            float *dst = out + packed + c * 4;
            wasm_v128_store(dst, r0); wasm_v128_store(dst + 4, r1);
            wasm_v128_store(dst + 8, r2); wasm_v128_store(dst + 12, r3);
          }
        }
        continue;
      }
      for (int i = 0; i < r; i++) {
        for (int j = 0; j < r; j++) {
          int spread = spread0 + i * rowStep + j * C;
          int q = i * r + j;
          if (!inverse) {
            for (int c = 0; c < C; c++) out[spread + c] = in[packed + c * rr + q];
          } else {
            for (int c = 0; c < C; c++) out[packed + c * rr + q] = in[spread + c];
          }
        }
      }
    }
  }
}
