/**
 * Test helpers for the distillation tests: an affine "stand-in" SR net whose outputs are easy to compute by hand
 * (out = w·nearest_up(x) + b; every tap = w·x + b), and plain-JS image helpers.
 */
import * as tf from '@tensorflow/tfjs';
import type { SRNet } from '../../lib/models/types';
import type { Scale } from '../../lib/types';
import type { AugFlags } from '../../lib/augment/invertible';

let nextId = 0;

export type StandIn = SRNet & { readonly w: tf.Variable; readonly b: tf.Variable };

export function standIn(scale: Scale, w: number, b: number): StandIn {
  const id = nextId++;
  const wv = tf.variable(tf.scalar(w), true, `standin${id}/w`);
  const bv = tf.variable(tf.scalar(b), true, `standin${id}/b`);
  const taps = ['head', 'body.0', 'body.out'];
  return {
    arch: { arch: 'edsr', feats: 3, blocks: 1, resScale: 1 },
    scale,
    taps,
    params: new Map([
      ['w', wv],
      ['b', bv],
    ]),
    w: wv,
    b: bv,
    forward(lr, opts) {
      return tf.tidy(() => {
        const [, h, wd] = lr.shape;
        const out = tf.add(tf.mul(tf.image.resizeNearestNeighbor(lr, [h * scale, wd * scale]), wv), bv) as tf.Tensor4D;
        const features: Record<string, tf.Tensor4D> = {};
        for (const t of opts?.taps ?? []) {
          if (!taps.includes(t)) throw new Error(`unknown tap ${t}`);
          features[t] = tf.add(tf.mul(lr, wv), bv) as tf.Tensor4D;
        }
        return { out, features };
      });
    },
    dispose() {
      wv.dispose();
      bv.dispose();
    },
  };
}

export type Img = number[][][]; // [H][W][C]
export const jsUp = (x: Img, s: number): Img =>
  Array.from({ length: x.length * s }, (_, i) => Array.from({ length: x[0].length * s }, (_, j) => x[Math.floor(i / s)][Math.floor(j / s)].slice()));
export const jsAffine = (x: Img, w: number, b: number): Img => x.map((r) => r.map((p) => p.map((v) => w * v + b)));
export const jsNet = (x: Img, s: number, w: number, b: number): Img => jsAffine(jsUp(x, s), w, b);
export const jsFlipH = (x: Img): Img => x.slice().reverse();
export const jsFlipW = (x: Img): Img => x.map((r) => r.slice().reverse());
export const jsTr = (x: Img): Img => x[0].map((_, j) => x.map((r) => r[j]));
export const jsInv = (x: Img): Img => x.map((r) => r.map((p) => p.map((v) => 1 - v)));
export const flat = (x: Img): number[] => x.flat(2);

/** Plain-JS augmentation in the spec's forward order I, H, W, Tr (spec/methods.md 7.4). */
export function jsAug(x: Img, f: AugFlags): Img {
  let y = x;
  if (f.invert) y = jsInv(y);
  if (f.flipH) y = jsFlipH(y);
  if (f.flipW) y = jsFlipW(y);
  if (f.transpose) y = jsTr(y);
  return y;
}

/** mean |a - b| over several images (same total element count semantics as the kit's l1). */
export function jsL1(as: Img[], bs: Img[]): number {
  let s = 0;
  let n = 0;
  as.forEach((a, k) => {
    const fa = flat(a);
    const fb = flat(bs[k]);
    if (fa.length !== fb.length) throw new Error('jsL1 shape mismatch');
    fa.forEach((v, i) => {
      s += Math.abs(v - fb[i]);
      n++;
    });
  });
  return s / n;
}

/** A deterministic pseudo-random batch of images in [0,1]. */
export function jsImages(n: number, h: number, w: number, seed: number): Img[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) / 16777216;
  };
  return Array.from({ length: n }, () => Array.from({ length: h }, () => Array.from({ length: w }, () => [next(), next(), next()])));
}
