/**
 * Checks of the kit's webgpu forward convolution (on by default; here SRKD_WEBGPU_KIT_CONV=on), on whatever adapter the
 * child gets (CI: Mesa's software OpenGL; GPU hosts: the GPU). Run by webgpu-kit-conv.test.ts (vitest) and
 * scripts/gpu-verdicts.ts.
 */
import assert from 'node:assert/strict';
import type { KernelCheckRow } from '../../lib/backend/gradient-check';
import { runJsonChild, type Check, type WebgpuSuite } from '../webgpu-suite';
import type { ConvRow } from './webgpu-kit-conv-child';

type SettingResult = { kitKernels: string[]; convs: ConvRow[]; gradRows: KernelCheckRow[] };
/** The child's results with SRKD_WEBGPU_KIT_CONV=on (the default shader) and =wide (conv2d-tiled-wide.ts). */
export type KitConvResult = { on: SettingResult; wide: SettingResult };

// float32 sums of up to 2,304 products in another order than the cpu backend's
const convsMatch = (s: SettingResult): void => {
  assert.equal(s.convs.length, 9);
  for (const c of s.convs) assert.ok(c.relErr < 1e-5, `${c.shape}: max |diff| / max |cpu| = ${c.relErr}`);
};
const gradsMatch = (s: SettingResult): void => {
  assert.deepEqual(s.gradRows.map((x) => x.kernel), ['step:edsr', 'step:edsr', 'step:rcan', 'step:swinir', 'step:swinir']);
  for (const x of s.gradRows) assert.ok(x.ok, `${x.kernel} ${x.shape}: maxRelErr ${x.maxRelErr}`);
};

const checks: Check<KitConvResult>[] = [
  {
    name: 'SRKD_WEBGPU_KIT_CONV=on replaces Conv2D and FusedConv2D',
    check: (r) => {
      for (const s of [r.on, r.wide]) assert.ok(s.kitKernels.includes('Conv2D') && s.kitKernels.includes('FusedConv2D'), `kit kernels: ${s.kitKernels.join(', ')}`);
    },
  },
  {
    name: "the tiled convolution equals the cpu backend's (ragged tiles, strides, padding, 1x1, 3 channels, bias, ReLU); dilation and ELU go to the stock kernel",
    check: (r) => {
      convsMatch(r.on);
      assert.deepEqual(r.on.convs.map((c) => c.shader), [...Array(7).fill('srkdConvTiled'), null, null]);
    },
  },
  {
    name: 'full EDSR, RCAN and SwinIR training-step gradients agree with the cpu backend with it',
    check: (r) => gradsMatch(r.on),
  },
  {
    name: "SRKD_WEBGPU_KIT_CONV=wide (register prefetch; 128-channel tiles from 128 output channels) equals the cpu backend's on the same shapes and training steps",
    check: (r) => {
      convsMatch(r.wide);
      const W64 = 'srkdConvWide_64';
      assert.deepEqual(r.wide.convs.map((c) => c.shader), [W64, W64, W64, W64, 'srkdConvWide_128', W64, W64, null, null]);
      gradsMatch(r.wide);
    },
  },
];

export const KIT_CONV_SUITE: WebgpuSuite<KitConvResult> = {
  title: "webgpu: the kit's tiled forward convolution",
  file: 'test/backend/webgpu-kit-conv.test.ts',
  run: async () => {
    const child = (setting: string) => runJsonChild<SettingResult & { unavailable?: string }>('test/backend/webgpu-kit-conv-child.ts', 'webgpu', { SRKD_WEBGPU_KIT_CONV: setting });
    const on = await child('on');
    if (!on.result) throw new Error(on.error);
    if (on.result.unavailable) return { unavailable: on.result.unavailable };
    const wide = await child('wide');
    if (!wide.result) throw new Error(wide.error);
    return { result: { on: on.result, wide: wide.result } };
  },
  checks,
};
