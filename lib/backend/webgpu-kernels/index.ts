/**
 * Kernels the kit registers on tfjs-webgpu: replacements for stock ones that would leave a GPU idle, and new
 * ones that do in one dispatch what stock ops do in many (the reasons are in each file).
 * SRKD_WEBGPU_KIT_KERNELS=off keeps the stock kernels and ops (to compare, or to rule the kit out);
 * SRKD_WEBGPU_KIT_CONV=on adds the kit's forward convolution (conv2d-tiled.ts), off until measured on a GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2DTiled } from './conv2d-tiled';
import { WEIGHT_UPDATE_KERNELS } from './weight-updates';

type Replacement = { readonly name: string; readonly make: (stock: tf.KernelFunc) => tf.KernelFunc; readonly optIn?: string };
const REPLACED: readonly Replacement[] = [
  { name: 'Conv2DBackpropFilter', make: makeConv2DBackpropFilter },
  // opt-in until a GPU says it beats the stock shader (SRKD_WEBGPU_KIT_CONV=on)
  { name: 'Conv2D', make: makeConv2DTiled, optIn: 'SRKD_WEBGPU_KIT_CONV' },
  { name: 'FusedConv2D', make: makeConv2DTiled, optIn: 'SRKD_WEBGPU_KIT_CONV' },
];

/** Kernels tfjs does not have; callers use them where the backend has them (lib/parallel/weight-updates.ts). */
const ADDED = WEIGHT_UPDATE_KERNELS;

let registered: string[] | null = null;

/** Registers the kit's webgpu kernels (once per process); returns their names. */
export function registerWebgpuKitKernels(env: NodeJS.ProcessEnv = process.env): string[] {
  if (registered) return registered;
  const onOff = (name: string, fallback: 'on' | 'off'): boolean => {
    const v = env[name] ?? fallback;
    if (v !== 'on' && v !== 'off') throw new Error(`${name} must be 'on' or 'off' (got '${v}')`);
    return v === 'on';
  };
  const kit = onOff('SRKD_WEBGPU_KIT_KERNELS', 'on');
  const optedIn = new Map(REPLACED.flatMap((k) => (k.optIn ? [[k.optIn, onOff(k.optIn, 'off')] as const] : [])));
  registered = [];
  if (!kit) return registered;
  for (const k of REPLACED) {
    if (k.optIn && !optedIn.get(k.optIn)) continue;
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
