/**
 * Kernels the kit registers on tfjs-webgpu: replacements for stock ones that would leave a GPU idle, and new
 * ones that do in one dispatch what stock ops do in many (the reasons are in each file).
 * SRKD_WEBGPU_KIT_KERNELS=off keeps the stock kernels and ops (to compare, or to rule the kit out);
 * SRKD_WEBGPU_KIT_CONV=off keeps tfjs's forward convolution and the other kit kernels (conv2d-tiled.ts says why it
 * is on by default: measured on an H200); =wide runs its second shape (conv2d-tiled-wide.ts; slower on the H200).
 */
import * as tf from '@tensorflow/tfjs';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2DTiled } from './conv2d-tiled';
import { WEIGHT_UPDATE_KERNELS } from './weight-updates';

/** `switchVar`: a variable for this replacement alone, 'off' or (default) 'on' or one of `variants`, which `make` gets. */
type Replacement = {
  readonly name: string; readonly make: (stock: tf.KernelFunc, setting: string) => tf.KernelFunc;
  readonly switchVar?: string; readonly variants?: readonly string[];
};
const REPLACED: readonly Replacement[] = [
  { name: 'Conv2DBackpropFilter', make: makeConv2DBackpropFilter },
  { name: 'Conv2D', make: makeConv2DTiled, switchVar: 'SRKD_WEBGPU_KIT_CONV', variants: ['wide'] },
  { name: 'FusedConv2D', make: makeConv2DTiled, switchVar: 'SRKD_WEBGPU_KIT_CONV', variants: ['wide'] },
];

/** Kernels tfjs does not have; callers use them where the backend has them (lib/parallel/weight-updates.ts). */
const ADDED = WEIGHT_UPDATE_KERNELS;

let registered: string[] | null = null;

/** Registers the kit's webgpu kernels (once per process); returns their names. */
export function registerWebgpuKitKernels(env: NodeJS.ProcessEnv = process.env): string[] {
  if (registered) return registered;
  const setting = (name: string, variants: readonly string[] = []): string => {
    const v = env[name] ?? 'on';
    const allowed = ['on', 'off', ...variants];
    if (!allowed.includes(v)) throw new Error(`${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')} (got '${v}')`);
    return v;
  };
  const kit = setting('SRKD_WEBGPU_KIT_KERNELS') === 'on';
  const switches = new Map(REPLACED.flatMap((k) => (k.switchVar ? [[k.switchVar, setting(k.switchVar, k.variants)] as const] : [])));
  registered = [];
  if (!kit) return registered;
  for (const k of REPLACED) {
    const chosen = k.switchVar ? switches.get(k.switchVar)! : 'on';
    if (chosen === 'off') continue;
    const stock = tf.getKernel(k.name, 'webgpu');
    if (!stock) throw new Error(`tfjs-webgpu has no stock ${k.name} kernel to replace (version changed?)`);
    tf.unregisterKernel(k.name, 'webgpu');
    tf.registerKernel({ kernelName: k.name, backendName: 'webgpu', kernelFunc: k.make(stock.kernelFunc, chosen) });
    registered.push(k.name);
  }
  for (const k of ADDED) {
    tf.registerKernel({ kernelName: k.name, backendName: 'webgpu', kernelFunc: k.kernelFunc });
    registered.push(k.name);
  }
  return registered;
}
