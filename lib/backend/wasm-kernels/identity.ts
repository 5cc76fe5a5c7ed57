/**
 * Identity for wasm without a copy. The stock kernel copies the data (tf.clone, and the engine's
 * gradient plumbing call it ~80 times per EDSR training step); tensors are immutable, so the output
 * can share the input's data id with one more reference, as the cpu backend's Identity and the wasm
 * Reshape do. Strings use the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackend, runStock } from './backend-ops';

function identityKernel(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return runStock('Identity', args);
  (args.backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

export function identityConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: 'Identity',
    backendName: 'wasm',
    setupFunc: stock?.setupFunc,
    kernelFunc: identityKernel as unknown as tf.KernelFunc,
  };
}
