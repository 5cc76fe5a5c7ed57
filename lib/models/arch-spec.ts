/**
 * What the kit knows about one backbone, in one record (`ArchSpec`); the `ARCHS` table in archs/index.ts
 * holds one per backbone and every part of the kit (build, validation, FAKD taps, complexity, checkpoint
 * shape inference, TF.js export, tiled evaluation, DUKD defaults) reads it instead of switching on the name.
 * Adding a backbone = one file in archs/ + one entry in ARCHS (+ its config type in types.ts).
 */
import type { Check } from '../config/checks';
import type { GraphBuilder, SymT } from '../io/export-graph/builder';
import type { Scale, TapName } from '../types';
import type { Rng } from '../util/rng';
import type { ArchConfig, SRNet } from './types';

export type Complexity = { params: number; macs: number };

/** Read access to a checkpoint's (kit-named) tensor shapes, for inferring hyper-parameters. */
export interface WeightShapes {
  readonly keys: readonly string[];
  /** The shape of `key`, or null when absent. */
  shape(key: string): number[] | null;
  /** The shape of `key`; throws naming the file and key when absent. */
  need(key: string): number[];
  /** 1 + the largest captured index of `re` over the keys (0 when none match). */
  count(re: RegExp): number;
}

/** DUKD's released per-backbone loss weights and switches (DUKD code's `options/{EDSR,RCAN,Swinir}/dukd_*.yml`). */
export type UpcyclingDefaults = {
  readonly recWeight: number;
  readonly kdWeight: number;
  /** Zoom-out stream on (RCAN x2/x4 and SwinIR configs leave it off). */
  readonly zoomOut: boolean;
  /** Invertible augmentation on (RCAN x2 has no `noisy` block, RCAN x4 has probability 0). */
  readonly invAug: boolean;
  /** Zoom-in tiles per image (the code's n_gt_sub: 2 for EDSR x2, else 1). */
  readonly tiles: number;
};

export interface ArchSpec<C extends ArchConfig = ArchConfig> {
  readonly name: C['arch'];
  /** Display name, e.g. 'EDSR'. */
  readonly title: string;
  /** Per-key checks of the config (the `arch` key excluded). */
  readonly schema: { readonly [K in Exclude<keyof C, 'arch'>]-?: Check };
  /** Rules across keys (after the schema passed), e.g. RCAN's reduction <= feats. `path` prefixes key names. */
  checkCross?(cfg: C, path: string): void;
  /** Fresh weights drawn from `rng`; `cfg` and `scale` are already validated. */
  build(cfg: C, scale: Scale, rng: Rng): SRNet;
  /** Every feature tap, in network order ('head', 'body.{i}', 'body.out'). */
  taps(cfg: C): TapName[];
  /** Depth in FAKD tap units (EDSR blocks, RCAN groups, SwinIR RSTBs). */
  bodyUnits(cfg: C): number;
  /**
   * Units after which FAKD's two inner taps sit, by this network's own depth (teacher and student each: FAKD
   * code): `thirds` (FAKD code) and `dukd4` (DUKD code, which also taps 'head'); the caller adds 'body.out'.
   */
  fakdUnits(cfg: C, mode: 'thirds' | 'dukd4'): [number, number];
  /** Analytic parameters and MACs (fvcore convention) for one lrHeight x lrWidth input (complexity.ts). */
  complexity(cfg: C, scale: Scale, lrHeight: number, lrWidth: number): Complexity;
  /** One line naming the hyper-parameters, e.g. 'EDSR feats=64 blocks=16'. */
  describe(cfg: C): string;
  /** Whether a checkpoint's kit-named keys belong to this backbone. */
  recognises(keys: readonly string[]): boolean;
  /** The hyper-parameters from weight shapes; `guessed` lists the keys no weight tells (set by convention). */
  fromWeights(w: WeightShapes): { arch: C; guessed: string[] };
  /** The network as a TF.js layers graph (lib/io/export-tfjs.ts). */
  exportGraph(g: GraphBuilder, x: SymT, cfg: C, scale: number): SymT;
  /** Tiled evaluation: tile sides must be multiples of this (SwinIR: its window), 1 otherwise. */
  tileMultiple(cfg: C): number;
  /** true: the net supports stochastic depth in training (SRNet.setDropPath; TrainConfig.dropPath). Default none. */
  readonly dropPath?: boolean;
  /**
   * The smallest tile overlap (LR pixels) for which tiled output equals untiled, or null when none is exact
   * (global pooling, attention).
   */
  exactOverlap(cfg: C, scale: Scale): number | null;
  /** DUKD code's per-scale method settings for this backbone as a student. */
  dukdDefaults(scale: Scale): UpcyclingDefaults;
  /** AugKD's default zoom-out switch for this backbone (AugKD keeps DUKD's off-switch for SwinIR only). */
  readonly augkdZoomOut: boolean;
}
