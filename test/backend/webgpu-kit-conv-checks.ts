/**
 * Checks of the kit's webgpu forward convolution (on by default; here SRKD_WEBGPU_KIT_CONV=on), on whatever adapter the
 * child gets (CI: Mesa's software OpenGL; GPU hosts: the GPU). Run by webgpu-kit-conv.test.ts (vitest) and
 * scripts/gpu-verdicts.ts.
 */
import assert from 'node:assert/strict';
import type { KernelCheckRow } from '../../lib/backend/gradient-check';
import { runJsonChild, type Check, type WebgpuSuite } from '../webgpu-suite';
import type { ConvRow } from './webgpu-kit-conv-child';

export type KitConvResult = { kitKernels: string[]; convs: ConvRow[]; gradRows: KernelCheckRow[] };

const checks: Check<KitConvResult>[] = [
  {
    name: 'SRKD_WEBGPU_KIT_CONV=on replaces Conv2D and FusedConv2D',
    check: (r) => {
      assert.ok(r.kitKernels.includes('Conv2D') && r.kitKernels.includes('FusedConv2D'), `kit kernels: ${r.kitKernels.join(', ')}`);
    },
  },
  {
    name: "the tiled convolution equals the cpu backend's (ragged tiles, strides, padding, 1x1, 3 channels, bias, ReLU); dilation and ELU go to the stock kernel",
    check: (r) => {
      assert.equal(r.convs.length, 9);
      // float32 sums of up to 2,304 products in another order
      for (const c of r.convs) assert.ok(c.relErr < 1e-5, `${c.shape}: max |diff| / max |cpu| = ${c.relErr}`);
      assert.deepEqual(r.convs.map((c) => c.kit), [true, true, true, true, true, true, true, false, false]);
    },
  },
  {
    name: 'full EDSR, RCAN and SwinIR training-step gradients agree with the cpu backend with it',
    check: (r) => {
      assert.deepEqual(r.gradRows.map((x) => x.kernel), ['step:edsr', 'step:edsr', 'step:rcan', 'step:swinir', 'step:swinir']);
      for (const x of r.gradRows) assert.ok(x.ok, `${x.kernel} ${x.shape}: maxRelErr ${x.maxRelErr}`);
    },
  },
];

export const KIT_CONV_SUITE: WebgpuSuite<KitConvResult> = {
  title: "webgpu: the kit's tiled forward convolution",
  file: 'test/backend/webgpu-kit-conv.test.ts',
  run: async () => {
    const c = await runJsonChild<KitConvResult & { unavailable?: string }>('test/backend/webgpu-kit-conv-child.ts', 'webgpu', { SRKD_WEBGPU_KIT_CONV: 'on' });
    if (!c.result) throw new Error(c.error);
    if (c.result.unavailable) return { unavailable: c.result.unavailable };
    return { result: c.result };
  },
  checks,
};
