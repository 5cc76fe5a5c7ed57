/*
 * a + b * c on 4 floats. The plain build (wasm SIMD 1.0) multiplies then adds, two roundings, the same
 * bits as XNNPACK; the relaxed build (-mrelaxed-simd, clang >= 16) uses f32x4.relaxed_madd, which V8
 * lowers to one fused multiply-add where the CPU has FMA3: one rounding, about half the arithmetic.
 */
#ifndef SRKD_MADD_H
#define SRKD_MADD_H
#include <wasm_simd128.h>
#ifdef __wasm_relaxed_simd__
#define MADD(b, c, a) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(b), (__f32x4)(c), (__f32x4)(a)))
#else
#define MADD(b, c, a) wasm_f32x4_add((a), wasm_f32x4_mul((b), (c)))
#endif
#endif
