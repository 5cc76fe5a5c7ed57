/**
 * Frees what backprop no longer needs while it runs, as PyTorch's autograd does. TF.js 4.22 (engine.gradients)
 * keeps, until the whole backward pass ends, every tensor the tape saved for it and the gradient of every
 * intermediate tensor, so a step's memory peaks at the end of backward with the forward activations and all
 * their gradients alive at once. Here each tape node's saved tensors and the gradients of its outputs are
 * disposed as soon as backprop has moved past the node: by then the node's input gradients are computed and
 * accumulated, and nothing reads them again.
 *
 * The gradients are the same tensors computed by the same kernels in the same order, only released earlier.
 * Kept: the gradients of the requested xs and of y, any output gradient a node passed on unchanged as an
 * input gradient, and everything of nested (higher-order) gradients, which run as TF.js does.
 * SRKD_BACKPROP_RELEASE=off turns it off (to compare).
 */
import * as tf from '@tensorflow/tfjs';

/** TF.js's tape node (tape.ts), the fields used here. */
type TapeNode = {
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
};
type EngineInternals = {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): { value: tf.Tensor; grads: tf.Tensor[] };
};

let wrapped = false;
let enabled = false;

/** Installs the release on TF.js's engine (all backends); SRKD_BACKPROP_RELEASE=off leaves it off. Returns whether it is on. */
export function installBackpropRelease(env: NodeJS.ProcessEnv = process.env): boolean {
  const mode = env.SRKD_BACKPROP_RELEASE ?? 'on';
  if (mode !== 'on' && mode !== 'off') throw new Error(`SRKD_BACKPROP_RELEASE must be 'on' or 'off' (got '${mode}')`);
  setBackpropRelease(mode === 'on');
  return enabled;
}

/** Turns the release on or off for the gradients computed from now on (tests and comparisons). */
export function setBackpropRelease(on: boolean): void {
  if (on && !wrapped) {
    const engine = tf.engine() as unknown as EngineInternals;
    if (typeof engine.gradients !== 'function' || !engine.state || !('gradientDepth' in engine.state)) {
      throw new Error('tfjs-core changed: engine.gradients/state.gradientDepth not found (lib/util/backprop-release.ts)');
    }
    const stock = engine.gradients.bind(engine);
    engine.gradients = (f, xs, dy, allowNoGradients) => stock(() => {
      const y = f();
      // the tape is complete here; only the outermost gradient's nodes are changed
      if (enabled && engine.state.gradientDepth === 1 && engine.state.activeTape) releaseAsYouGo(engine.state.activeTape, xs, y);
      return y;
    }, xs, dy, allowNoGradients);
    wrapped = true;
  }
  enabled = on;
}

/**
 * Wraps each node's gradient function: when backprop reaches a node (nodes run last to first), the node it
 * handled before is complete, and its saved tensors and output gradients are disposed.
 */
function releaseAsYouGo(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): void {
  const keepIds = new Set<number>([y.id, ...xs.map((x) => x.id)]);
  // How often each tensor came back from a gradient function: one returned twice (the same object as the
  // gradient of two inputs) may still be read, so it is left to TF.js.
  const handedOut = new Map<tf.Tensor, number>();
  let previous: { node: TapeNode; dys: (tf.Tensor | null)[]; passedOn: Set<tf.Tensor> } | null = null;
  const release = (): void => {
    if (!previous) return;
    const { node, dys, passedOn } = previous;
    const free = (t: tf.Tensor): boolean => !passedOn.has(t) && (handedOut.get(t) ?? 0) <= 1;
    for (const t of node.saved ?? []) if (free(t)) t.dispose();
    node.outputs.forEach((o, i) => {
      const g = dys[i];
      if (g && !keepIds.has(o.id) && free(g)) g.dispose();
    });
    previous = null;
  };
  for (const node of tape) {
    const gradient = node.gradient;
    if (!gradient) continue;
    node.gradient = (dys) => {
      release();
      const thunks = gradient(dys);
      const passedOn = new Set<tf.Tensor>();
      const wrapped: Record<string, () => tf.Tensor> = {};
      for (const [name, thunk] of Object.entries(thunks)) {
        wrapped[name] = () => {
          const dx = thunk();
          // an input gradient may be an output gradient or a saved tensor itself: then it lives on in the map
          passedOn.add(dx);
          handedOut.set(dx, (handedOut.get(dx) ?? 0) + 1);
          return dx;
        };
      }
      previous = { node, dys, passedOn };
      return wrapped;
    };
  }
}
