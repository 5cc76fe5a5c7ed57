/**
 * Runs one residual block (an EDSR ResBlock, an RCAB, a Swin layer) in its own tf.tidy. The net's forward is one
 * tidy (assemble.ts), which alone frees a pass's activations only when the whole pass ends; without a gradient
 * tape (a frozen teacher or the history model, `prepare` passes) a block's inner tensors are then dropped as soon
 * as the block returns, so a pass holds about one block's activations instead of every block's (measured on the cpu
 * backend, one x4 pass over 2 LR patches of 16 px, peak above the weights: SwinIR-M 1128 -> 55 MiB, RCAN 114 -> 39,
 * EDSR 256x32 106 -> 58). Under a tape nothing changes: the tape keeps what its gradients need either way.
 * On webgpu the freed buffers go back to the pool at once and the next block reuses them, so the pool stays
 * near one block's size too.
 */
import * as tf from '@tensorflow/tfjs';

export function blockScope<T extends tf.Tensor>(block: () => T): T {
  return tf.tidy(block);
}
