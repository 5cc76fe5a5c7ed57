/**
 * FitNet's hint loss (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015): a learned regressor r maps the
 * student's guided-layer features to the teacher's hint-layer width, and L_HT = ½‖F_T − r(F_S)‖². The paper's
 * regressor is convolutional; here it is a 1×1 convolution with bias (student and teacher features of an SR
 * body share their spatial size), and the squared norm is taken as a mean over elements (batch, positions,
 * channels) so the term is a mean over the share like every other term (lib/distill/method.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBias, type ConvParams } from '../models/layers/conv';

/** ½·mean((r(fs) − ft)²) with r = 1×1 conv `regressor` (weight HWIO [1, 1, C_S, C_T], bias [C_T]). */
export function hintLoss(fs: tf.Tensor4D, ft: tf.Tensor4D, regressor: ConvParams): tf.Scalar {
  const [k, k2, cin, cout] = regressor.weight.shape;
  if (k !== 1 || k2 !== 1 || cin !== fs.shape[3] || cout !== ft.shape[3]) {
    throw new Error(`hintLoss: regressor [${regressor.weight.shape.join(', ')}] does not map ${fs.shape[3]} student to ${ft.shape[3]} teacher channels with a 1x1 conv`);
  }
  if (fs.shape[0] !== ft.shape[0] || fs.shape[1] !== ft.shape[1] || fs.shape[2] !== ft.shape[2]) {
    throw new Error(`hintLoss: student and teacher features must share batch and spatial size ([${fs.shape.join(', ')}] vs [${ft.shape.join(', ')}])`);
  }
  return tf.tidy(() => tf.mul(0.5, tf.mean(tf.squaredDifference(conv2dBias(fs, regressor), ft))) as tf.Scalar);
}
