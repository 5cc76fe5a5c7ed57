// The kit's webgpu kernels without a GPU: how Conv2DBackpropFilter splits positions into chunks (work per
// chunk, a memory cap on the partial sums, WebGPU's dispatch limit) and the switch that turns the kit kernels
// off. Their numbers on an adapter: webgpu-checks.ts ("the kit's split-K Conv2DBackpropFilter ...").
import { describe, expect, it } from 'vitest';
import { splitCount } from '../../lib/backend/webgpu-kernels/conv2d-backprop-filter';
import { registerWebgpuKitKernels } from '../../lib/backend/webgpu-kernels/index';

describe('webgpu Conv2DBackpropFilter split-K', () => {
  it('about 256 positions per chunk, partials at most 2^24 floats, at most 65,535 chunks, at least 1', () => {
    expect(splitCount(16 * 48 * 48, 3 * 3 * 64 * 64)).toBe(144); // a paper student's body conv at LR
    expect(splitCount(16 * 192 * 192, 3 * 3 * 64 * 3)).toBe(2304); // its output conv at HR
    expect(splitCount(16 * 96 * 96, 3 * 3 * 64 * 256)).toBe(113); // x4 upsampler's second conv: 576 by work, 113 by memory
    expect(splitCount(1e9, 1)).toBe(65_535);
    expect(splitCount(10, 10)).toBe(1);
  });

  it('SRKD_WEBGPU_KIT_KERNELS accepts on/off, SRKD_WEBGPU_KIT_CONV on/off/wide', () => {
    expect(() => registerWebgpuKitKernels({ SRKD_WEBGPU_KIT_KERNELS: 'maybe' })).toThrow("SRKD_WEBGPU_KIT_KERNELS must be 'on' or 'off' (got 'maybe')");
    // checked before anything is registered, also where the kit kernels are on
    expect(() => registerWebgpuKitKernels({ SRKD_WEBGPU_KIT_CONV: '1' })).toThrow("SRKD_WEBGPU_KIT_CONV must be 'on' or 'off' or 'wide' (got '1')");
  });
});
