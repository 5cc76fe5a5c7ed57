/**
 * Kernels the kit registers on tfjs-webgpu in place of stock ones that would leave a GPU idle (the reasons are
 * in each file). SRKD_WEBGPU_KIT_KERNELS=off keeps the stock kernels (to compare, or to rule the kit out).
 */
import * as tf from '@tensorflow/tfjs';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter';

const KIT: readonly { readonly name: string; readonly make: (stock: tf.KernelFunc) => tf.KernelFunc }[] = [
  { name: 'Conv2DBackpropFilter', make: makeConv2DBackpropFilter },
];

let registered: string[] | null = null;

/** Replaces the stock webgpu kernels by the kit's (once per process); returns their names. */
export function registerWebgpuKitKernels(env: NodeJS.ProcessEnv = process.env): string[] {
  if (registered) return registered;
  const mode = env.SRKD_WEBGPU_KIT_KERNELS ?? 'on';
  if (mode !== 'on' && mode !== 'off') throw new Error(`SRKD_WEBGPU_KIT_KERNELS must be 'on' or 'off' (got '${mode}')`);
  registered = [];
  if (mode === 'off') return registered;
  for (const k of KIT) {
    const stock = tf.getKernel(k.name, 'webgpu');
    if (!stock) throw new Error(`tfjs-webgpu has no stock ${k.name} kernel to replace (version changed?)`);
    tf.unregisterKernel(k.name, 'webgpu');
    tf.registerKernel({ kernelName: k.name, backendName: 'webgpu', kernelFunc: k.make(stock.kernelFunc) });
    registered.push(k.name);
  }
  return registered;
}
