/**
 * Kernels the kit registers on tfjs-webgpu: replacements for stock ones that would leave a GPU idle, and new
 * ones that do in one dispatch what stock ops do in many (the reasons are in each file).
 * SRKD_WEBGPU_KIT_KERNELS=off keeps the stock kernels and ops (to compare, or to rule the kit out).
 */
import * as tf from '@tensorflow/tfjs';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter';
import { WEIGHT_UPDATE_KERNELS } from './weight-updates';

const REPLACED: readonly { readonly name: string; readonly make: (stock: tf.KernelFunc) => tf.KernelFunc }[] = [
  { name: 'Conv2DBackpropFilter', make: makeConv2DBackpropFilter },
];

/** Kernels tfjs does not have; callers use them where the backend has them (lib/parallel/weight-updates.ts). */
const ADDED = WEIGHT_UPDATE_KERNELS;

let registered: string[] | null = null;

/** Registers the kit's webgpu kernels (once per process); returns their names. */
export function registerWebgpuKitKernels(env: NodeJS.ProcessEnv = process.env): string[] {
  if (registered) return registered;
  const mode = env.SRKD_WEBGPU_KIT_KERNELS ?? 'on';
  if (mode !== 'on' && mode !== 'off') throw new Error(`SRKD_WEBGPU_KIT_KERNELS must be 'on' or 'off' (got '${mode}')`);
  registered = [];
  if (mode === 'off') return registered;
  for (const k of REPLACED) {
    const stock = tf.getKernel(k.name, 'webgpu');
    if (!stock) throw new Error(`tfjs-webgpu has no stock ${k.name} kernel to replace (version changed?)`);
    tf.unregisterKernel(k.name, 'webgpu');
    tf.registerKernel({ kernelName: k.name, backendName: 'webgpu', kernelFunc: k.make(stock.kernelFunc) });
    registered.push(k.name);
  }
  for (const k of ADDED) {
    tf.registerKernel({ kernelName: k.name, backendName: 'webgpu', kernelFunc: k.kernelFunc });
    registered.push(k.name);
  }
  return registered;
}
