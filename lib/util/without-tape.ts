/**
 * Runs `f` with the gradient tape off: PyTorch's `torch.no_grad()` for a pass inside a loss that never needs a
 * gradient (a frozen feature network over the teacher's image or the negatives). Inside tf.grads/variableGrads
 * TF.js records every op on the tape and keeps the tensors its gradient would need until backprop ends, also for
 * ops that backprop later prunes because no variable reaches them: a VQGAN or VGG pass over a detached image
 * would hold all its activations for the whole step. Here they are freed when `f` returns (f runs in a tidy; its result is kept).
 * The result reaches the tape as a constant, so it is detached as well.
 * TF.js has no public switch for this; its engine turns the tape off the same way while it runs a kernel or a
 * custom-gradient forward (the tape records only at kernel depth 0), and this raises that depth for `f`.
 */
import * as tf from '@tensorflow/tfjs';

type EngineState = { kernelDepth: number };

function engineState(): EngineState {
  const state = (tf.engine() as unknown as { state?: Partial<EngineState> }).state;
  if (typeof state?.kernelDepth !== 'number') {
    throw new Error(`withoutTape: this TF.js (${tf.version.tfjs}) has no engine.state.kernelDepth; the tape cannot be paused`);
  }
  return state as EngineState;
}

export function withoutTape<T extends tf.TensorContainer>(f: () => T): T {
  const state = engineState();
  state.kernelDepth++;
  try {
    return tf.tidy(f);
  } finally {
    state.kernelDepth--;
  }
}
