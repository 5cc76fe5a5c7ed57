import type * as tf from '@tensorflow/tfjs';

/** Upscaling factors the kit supports (the papers use x2, x3, x4). */
export type Scale = 2 | 3 | 4;

/** Inside lib, images are NHWC float32 in [0, 1]. */
export type ImageBatch = tf.Tensor4D;

/** An aligned low/high-resolution pair; `hr` is `scale` times larger than `lr`. A `type` so it is a TensorContainer. */
export type SRBatch = { lr: tf.Tensor4D; hr: tf.Tensor4D };

/** A documented feature tap of a backbone, e.g. 'head', 'body.3', 'body.out' (see lib/models). */
export type TapName = string;

/** Names a run directory: runs/<yyyymmdd>-<method>-<arch>x<scale>-<hash8>. */
export type RunId = string;
