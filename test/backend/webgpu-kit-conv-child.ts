/**
 * The kit's webgpu forward convolution (lib/backend/webgpu-kernels/conv2d-tiled.ts), run by
 * webgpu-kit-conv-checks.ts with SRKD_WEBGPU_KIT_CONV=on in a process of its own: convolutions against the cpu
 * backend (tiles with ragged ends, strides, padding, 1x1, 3 channels, bias, ReLU), which shader ran for each, and
 * full EDSR, RCAN and SwinIR training-step gradients with it. Prints one JSON line ({ unavailable } without an adapter).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/index';
import { checkCases, modelStepCases } from '../../lib/backend/gradient-check';
import { activateCpuReference } from '../../lib/backend/kernel-check';
import { Rng } from '../../lib/util/rng';

type Activation = 'linear' | 'relu' | 'elu';
type ConvCase = { x: number[]; filter: number[]; stride: number; pad: 'same' | 'valid'; bias: boolean; activation: Activation; dilation?: number; fused?: boolean };

/** Shapes with ragged 128-pixel and 64-channel tiles, K not a multiple of 16, and two the kit leaves to the stock kernel. */
export const CONV_CASES: readonly ConvCase[] = [
  { x: [2, 9, 9, 70], filter: [3, 3, 70, 66], stride: 1, pad: 'same', bias: true, activation: 'relu' },
  { x: [1, 8, 8, 4], filter: [3, 3, 4, 5], stride: 2, pad: 'same', bias: false, activation: 'linear' },
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 8], stride: 1, pad: 'valid', bias: true, activation: 'linear' },
  { x: [3, 30, 30, 16], filter: [3, 3, 16, 3], stride: 1, pad: 'same', bias: true, activation: 'linear' },
  { x: [1, 20, 13, 64], filter: [3, 3, 64, 256], stride: 1, pad: 'same', bias: true, activation: 'relu' },
  { x: [1, 6, 6, 5], filter: [1, 1, 5, 7], stride: 1, pad: 'same', bias: true, activation: 'linear' },
  { x: [1, 10, 10, 8], filter: [3, 3, 8, 8], stride: 1, pad: 'same', bias: false, activation: 'linear', fused: false },
  // left to the stock kernel: dilation 2, an ELU
  { x: [1, 10, 10, 8], filter: [3, 3, 8, 8], stride: 1, pad: 'same', bias: false, activation: 'linear', dilation: 2, fused: false },
  { x: [1, 10, 10, 8], filter: [3, 3, 8, 8], stride: 1, pad: 'same', bias: true, activation: 'elu' },
];

/** `shader`: the kit shader that ran (its key up to the tile width, e.g. 'srkdConvWide_128'), null for tfjs's. */
export type ConvRow = { shape: string; relErr: number; shader: string | null };

async function convRows(): Promise<ConvRow[]> {
  const backend = tf.backend() as unknown as { recordAndSubmit(p: { shaderKey: string }, ...rest: unknown[]): void };
  const keys: string[] = [];
  const stock = backend.recordAndSubmit.bind(backend);
  backend.recordAndSubmit = (p, ...rest) => {
    keys.push(p.shaderKey);
    stock(p, ...rest);
  };
  const rng = new Rng(17);
  const rows: ConvRow[] = [];
  for (const c of CONV_CASES) {
    const rand = (shape: number[]): Float32Array => Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.next() - 0.5);
    const [xd, fd, bd] = [rand(c.x), rand(c.filter), rand([c.filter[3]])];
    const run = async (): Promise<Float32Array> => {
      const y = tf.tidy(() => {
        const x = tf.tensor4d(xd, c.x as [number, number, number, number]);
        const filter = tf.tensor4d(fd, c.filter as [number, number, number, number]);
        if (c.fused === false) return tf.conv2d(x, filter, c.stride, c.pad, 'NHWC', c.dilation ?? 1);
        return tf.fused.conv2d({ x, filter, strides: c.stride, pad: c.pad, bias: c.bias ? tf.tensor1d(bd) : undefined, activation: c.activation });
      });
      const data = (await y.data()) as Float32Array;
      y.dispose();
      return data;
    };
    keys.length = 0;
    const gpu = await run();
    const key = keys.find((k) => k.startsWith('srkdConv'));
    const shader = key === undefined ? null : key.startsWith('srkdConvWide') ? key.split('_').slice(0, 2).join('_') : key.split('_')[0];
    await activateCpuReference();
    const cpu = await run();
    await tf.setBackend('webgpu');
    let [diff, max] = [0, 0];
    for (let i = 0; i < cpu.length; i++) [diff, max] = [Math.max(diff, Math.abs(gpu[i] - cpu[i])), Math.max(max, Math.abs(cpu[i]))];
    const shape = `x ${c.x.join('x')}, filter ${c.filter.join('x')}, stride ${c.stride}, ${c.pad}, ${c.fused === false ? 'conv2d' : `bias ${c.bias}, ${c.activation}`}${c.dilation ? `, dilation ${c.dilation}` : ''}`;
    rows.push({ shape, relErr: gpu.length === cpu.length ? diff / max : Infinity, shader });
  }
  backend.recordAndSubmit = stock;
  return rows;
}

async function main(): Promise<void> {
  let kitKernels: readonly string[];
  try {
    kitKernels = (await initBackend({ backend: 'webgpu', announce: false })).kitKernels;
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ unavailable: e instanceof Error ? e.message : String(e) })}\n`);
    return;
  }
  const convs = await convRows();
  const gradRows = await checkCases(modelStepCases(new Rng(2026)), 'webgpu');
  process.stdout.write(`${JSON.stringify({ kitKernels, convs, gradRows })}\n`);
}

main().catch((e) => {
  process.stderr.write(`webgpu-kit-conv-child failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
