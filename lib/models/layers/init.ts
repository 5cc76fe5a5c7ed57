/**
 * Seeded weight initialisation (lib/util/rng.ts `Rng`), in the spirit of what the reference code does.
 *
 * What BasicSR / SwinIR do (PyTorch):
 * - EDSR (`edsr_arch.py`, ResidualBlockNoBN with `pytorch_init=True`), RCAN (`rcan_arch.py`) and every SwinIR
 *   convolution keep PyTorch's default `nn.Conv2d` init: weight kaiming_uniform(a = sqrt(5)), which is
 *   uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)),
 *   fan_in = in_channels * kh * kw.  (BasicSR's `default_init_weights` - kaiming_normal x 0.1 - is only used by
 *   ResidualBlockNoBN when `pytorch_init=False`, which EDSR does not do.)
 * - SwinIR `_init_weights`: every nn.Linear weight trunc_normal_(std=0.02) (timm's trunc_normal_, truncated at the
 *   absolute values -2 and 2, i.e. effectively untruncated), bias 0; every nn.LayerNorm weight 1, bias 0;
 *   `relative_position_bias_table` trunc_normal_(std=0.02).
 * We reproduce those distributions (not PyTorch's random streams): values are drawn in parameter order from one
 * `Rng`, so the same seed gives bit-identical weights.
 */
import type { Rng } from '../../util/rng';

/** `n` values from uniform(-bound, bound), bound = 1/sqrt(fanIn) (PyTorch's default conv/linear init). */
export function uniformFanIn(rng: Rng, n: number, fanIn: number): Float32Array {
  if (!(fanIn > 0)) throw new Error(`uniformFanIn needs fanIn > 0 (got ${fanIn})`);
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

/** `n` values from normal(0, std) rejected outside [lo, hi] (timm's trunc_normal_ defaults lo=-2, hi=2). */
export function truncNormal(rng: Rng, n: number, std: number, lo = -2, hi = 2): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = rng.normal() * std;
    while (v < lo || v > hi) v = rng.normal() * std;
    out[i] = v;
  }
  return out;
}

/** `n` copies of `value`. */
export function constantInit(n: number, value: number): Float32Array {
  return new Float32Array(n).fill(value);
}

/** `n` values from normal(0, sqrt(2 / fanOut)): kaiming_normal_(mode='fan_out', nonlinearity='relu'), torchvision's VGG conv init. */
export function kaimingNormalFanOut(rng: Rng, n: number, fanOut: number): Float32Array {
  if (!(fanOut > 0)) throw new Error(`kaimingNormalFanOut needs fanOut > 0 (got ${fanOut})`);
  const std = Math.sqrt(2 / fanOut);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}
