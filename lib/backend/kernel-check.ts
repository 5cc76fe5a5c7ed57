/**
 * Start-up kernel check. tfjs has no fallback when a backend lacks a kernel: the op throws
 * "Kernel 'X' not registered for backend 'webgpu'" wherever it first runs, possibly hours into a run.
 * So the kernels a computation needs are recorded once, on a tiny copy of it, on the cpu backend (the
 * complete reference; tiny so it takes well under a second), and checked against the active backend's
 * registry before the real work starts.
 *
 * Recording uses tf.profile, which lists every kernel the engine runs, including those run by gradient
 * functions; names that are not registered kernels on cpu (scopes of custom-gradient ops) are dropped.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../models/build';
import type { ArchConfig } from '../models/types';
import type { Scale } from '../types';

/** Switches to tfjs-backend-cpu as a reference, without its one-time "install tfjs-node" banner. */
export async function activateCpuReference(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error("backend 'cpu' failed to initialise");
  (tf.findBackend('cpu') as unknown as { firstUse?: boolean }).firstUse = false;
}

/**
 * The registered kernels `run` executes (sorted, unique), recorded on the cpu backend; the active backend
 * is restored afterwards. `run` must dispose what it creates (it runs outside any tidy).
 */
export async function recordKernels(run: () => void | Promise<void>): Promise<string[]> {
  const previous = tf.getBackend();
  await activateCpuReference();
  try {
    const info = await tf.profile(async () => {
      await run();
      return [] as tf.Tensor[];
    });
    return [...new Set(info.kernelNames)].filter((k) => tf.getKernel(k, 'cpu') !== undefined).sort();
  } finally {
    if (previous && previous !== 'cpu') await tf.setBackend(previous);
  }
}

/** The kernels of `names` that `backend` (default: the active one) has no registration for. */
export function missingKernels(names: readonly string[], backend: string = tf.getBackend()): string[] {
  return names.filter((k) => tf.getKernel(k, backend) === undefined);
}

/** Throws, listing every missing kernel, unless `backend` has all of `names`; `what` names the computation. */
export function assertKernelsRegistered(names: readonly string[], what: string, backend: string = tf.getBackend()): void {
  const missing = missingKernels(names, backend);
  if (missing.length) {
    throw new Error(
      `backend '${backend}' lacks ${missing.length} kernel(s) that ${what} needs: ${missing.join(', ')} ` +
        '(tfjs has no fallback for a missing kernel; choose another backend with SRKD_BACKEND)',
    );
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * A tiny network with the same structure switches as `arch` (residual scaling, channel-attention
 * reduction, shifted windows, MLP ratio, upsampler): kernels depend on the op graph, not on widths, window
 * size or repeat counts, so one block (two for Swin, whose odd blocks shift) stands for all.
 */
export function tinyArch(arch: ArchConfig): ArchConfig {
  switch (arch.arch) {
    case 'edsr':
      return { ...arch, feats: 4, blocks: 1 };
    case 'rcan':
      return { ...arch, feats: Math.max(4, arch.reduction), groups: 1, blocks: 1 };
    case 'swinir': {
      const heads = arch.heads.reduce((l, h) => (l * h) / gcd(l, h), 1);
      // A 4-pixel window has the same ops as an 8-pixel one; on cpu the one-hot bias lookup of an 8-pixel
      // window ([225, 4096] matmul) alone takes about a second.
      return {
        ...arch, embedDim: heads, depths: [Math.min(2, Math.max(...arch.depths))], heads: [heads], upsampleFeats: 4,
        windowSize: Math.min(4, arch.windowSize),
      };
    }
  }
}

/**
 * Kernels of one training step of a backbone: forward, L1 loss, gradients of every weight and an Adam
 * update; `training: false` gives the inference forward only. The LR input is one pixel larger than a
 * Swin window, so window padding (evaluation of arbitrary sizes) is covered too.
 */
export async function backboneKernels(arch: ArchConfig, scale: Scale, opts: { readonly training?: boolean } = {}): Promise<string[]> {
  const tiny = tinyArch(arch);
  const size = tiny.arch === 'swinir' ? tiny.windowSize + 1 : 5;
  return recordKernels(() => {
    const net = buildModel(tiny, scale, { seed: 0 });
    const lr = tf.randomUniform([1, size, size, 3]) as tf.Tensor4D;
    const hr = tf.randomUniform([1, size * scale, size * scale, 3]);
    const adam = tf.train.adam(1e-4);
    try {
      if (opts.training === false) {
        tf.tidy(() => {
          net.forward(lr, { taps: [] });
        });
        return;
      }
      const vars = [...net.params.values()];
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(net.forward(lr, { taps: [] }).out, hr))) as tf.Scalar, vars);
      adam.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      tf.dispose([value, grads]);
    } finally {
      adam.dispose();
      tf.dispose([lr, hr]);
      net.dispose();
    }
  });
}

/**
 * On the webgpu backend (the one whose missing kernels nothing else catches), checks before any real work
 * that every kernel a backbone needs is registered: training (default) or inference only. A no-op on
 * other backends: cpu is complete, and the wasm kit kernels are tested against every backbone.
 */
export async function assertBackboneKernels(arch: ArchConfig, scale: Scale, opts: { readonly training?: boolean } = {}): Promise<void> {
  const backend = tf.getBackend();
  if (backend !== 'webgpu') return;
  const what = `${opts.training === false ? 'inference' : 'a training step'} of ${arch.arch} x${scale}`;
  assertKernelsRegistered(await backboneKernels(arch, scale, opts), what, backend);
}
