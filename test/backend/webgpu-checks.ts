/**
 * The checks of the webgpu backend (Dawn) on whatever adapter SRKD_BACKEND=webgpu gets: on CPU hosts and CI,
 * Mesa's software OpenGL (apt: libegl1 libegl-mesa0 libgl1-mesa-dri, installed by .ci/run); on GPU hosts the
 * GPU's Vulkan driver. Everything runs in one child process (webgpu-child.ts). Run by webgpu.test.ts (vitest)
 * and scripts/gpu-verdicts.ts (GPU hosts without vitest).
 */
import assert from 'node:assert/strict';
import type { KernelCheckRow } from '../../lib/backend/gradient-check';
import type { WebgpuAdapter } from '../../lib/backend/webgpu';
import { runJsonChild, type Check, type WebgpuSuite } from '../webgpu-suite';
import type { UpdateTrace } from './webgpu-child';

type StepTrace = { losses: number[]; numTensors: number[]; gpuBuffersUsed: number[]; gpuBytesAllocated: number[] };
export type BackendResult = {
  backend: string;
  adapter: WebgpuAdapter;
  kitKernels: string[];
  filterGrads: { shape: string; relErr: number }[];
  missing: Record<string, string[]>;
  missingError: string;
  gradRows: KernelCheckRow[];
  featureRows: KernelCheckRow[];
  gpuSteps: StepTrace;
  cpuSteps: StepTrace;
  gpuUpdates: UpdateTrace;
  cpuUpdates: UpdateTrace;
  /** GPU dispatches counted for tf.mul(tf.add(x, 1), 2), a reshape and a clone. */
  dispatchProbe: { addMul: number; reshape: number; clone: number };
  readSyncError: string;
  gpuError: { message: string; afterwards: number[] };
  /** Bytes the GPU buffer pool grew by over 40 short-lived [256, 256] tensors, unprofiled and under tf.profile. */
  profiledPool: { plain: number; profiled: number; tensorBytes: number };
  eval: { psnrGpu: number[]; psnrCpu: number[]; tiledMaxAbsDiff: number; tensorsBefore: number; tensorsAfter: number; pngDiff: { values: number; differing: number; max: number } };
  seconds: Record<string, number>;
};

const checks: Check<BackendResult>[] = [
  {
    name: 'runs on an adapter the banner names (on a CPU host: the software OpenGL adapter, flagged as software)',
    check: (r) => {
      assert.equal(r.backend, 'webgpu');
      assert.notEqual(r.adapter.device, '');
      assert.ok(r.adapter.limits.maxBufferSize > 0, 'maxBufferSize > 0');
      if (r.adapter.api === 'opengl') {
        assert.equal(r.adapter.featureLevel, 'compatibility');
        assert.equal(r.adapter.software, true);
      }
    },
  },
  {
    name: 'has every kernel a training step of EDSR, RCAN and SwinIR (both upsamplers) needs; a missing one is listed',
    check: (r) => {
      assert.deepEqual(Object.keys(r.missing), ['edsr x4', 'rcan x3', 'swinir x2', 'swinir x4']);
      for (const [arch, missing] of Object.entries(r.missing)) assert.deepEqual(missing, [], `${arch} lacks kernels`);
      assert.equal(r.missingError,
        "backend 'webgpu' lacks 2 kernel(s) that the test graph needs: NoSuchKernel, AlsoMissing " +
          '(tfjs has no fallback for a missing kernel; choose another backend with SRKD_BACKEND)');
    },
  },
  {
    name: "the kit's split-K Conv2DBackpropFilter replaces the stock one and equals the cpu backend's (tiles, strides, padding, 1x1, ragged chunks)",
    check: (r) => {
      assert.deepEqual(r.kitKernels, ['Conv2DBackpropFilter', 'Conv2D', 'FusedConv2D', 'SrkdAdamMoment', 'SrkdAdamValue', 'SrkdEmaUpdate']);
      assert.equal(r.filterGrads.length, 5);
      // float32 sums of up to ~2000 products in another order: a few 1e-7 of the largest value
      for (const g of r.filterGrads) assert.ok(g.relErr < 1e-5, `${g.shape}: max |diff| / max |cpu| = ${g.relErr}`);
    },
  },
  {
    name: 'full EDSR, RCAN and SwinIR training-step gradients agree with the cpu backend',
    check: (r) => {
      assert.deepEqual(r.gradRows.map((x) => x.kernel), ['step:edsr', 'step:edsr', 'step:rcan', 'step:swinir', 'step:swinir']);
      for (const x of r.gradRows) assert.ok(x.ok, `${x.kernel} ${x.shape}: maxRelErr ${x.maxRelErr}`);
    },
  },
  {
    name: 'VGG-style (conv, ReLU, max pool) and GroupNorm blocks: gradients agree with the cpu backend',
    check: (r) => {
      assert.deepEqual(r.featureRows.map((x) => x.kernel), ['net:vgg-block', 'net:group-norm']);
      for (const x of r.featureRows) assert.ok(x.ok, `${x.kernel} ${x.shape}: maxRelErr ${x.maxRelErr}`);
    },
  },
  {
    name: 'four Adam steps follow the cpu backend and keep tensors and GPU buffers flat',
    check: (r) => {
      const { gpuSteps: g, cpuSteps: c } = r;
      g.losses.forEach((l, i) => assert.ok(Math.abs(l - c.losses[i]) / c.losses[i] < 1e-5, `step ${i}: loss ${l} vs cpu ${c.losses[i]}`));
      assert.ok(g.losses[3] < g.losses[0], `it learns: ${g.losses[0]} -> ${g.losses[3]}`);
      assert.equal(new Set(g.numTensors).size, 1, `tensor counts ${g.numTensors}`);
      assert.deepEqual(g.numTensors, c.numTensors);
      assert.equal(new Set(g.gpuBuffersUsed).size, 1, `GPU buffers in use ${g.gpuBuffersUsed}`);
      // Step 1 fills tfjs's buffer pool (Adam slots appear with the first update); later steps only reuse it.
      assert.equal(new Set(g.gpuBytesAllocated.slice(1)).size, 1, `GPU bytes allocated ${g.gpuBytesAllocated}`);
    },
  },
  {
    name: "the trainer's Adam and EMA updates run as 4 kernels per variable (tfjs: 17) and equal the cpu backend's stock ops",
    check: (r) => {
      const { gpuUpdates: g, cpuUpdates: c } = r;
      assert.equal(g.fused, true);
      assert.equal(c.fused, false);
      // 4 variables: moments, value and EMA per variable, plus the two β-power updates; tfjs: 14 + 3 per
      // variable (Adam's ops, the EMA's mul, mul, add), plus 1 - β^t and the β-power updates
      assert.equal(g.kernels, 4 * 4 + 2);
      assert.equal(g.dispatches, g.kernels); // each of them runs a shader
      assert.equal(c.dispatches, null);
      assert.deepEqual(g.kernelNames, ['Multiply', 'SrkdAdamMoment', 'SrkdAdamValue', 'SrkdEmaUpdate']);
      assert.equal(c.kernels, 4 * 17 + 4);
      assert.deepEqual(g.slotNames, c.slotNames); // same checkpoint layout: iterations, then every /m, then every /v
      assert.deepEqual(g.slotNames.slice(0, 3), ['iter', 'upd0/m', 'upd1/m']);
      // the same float32 operations in the same order; a shader compiler may fuse a multiply-add (last bit)
      const close = (what: string, a: number[][], b: number[][]): void => a.forEach((xs, i) => xs.forEach((x, j) => {
        assert.ok(Math.abs(x - b[i][j]) <= 1e-6 * Math.max(1, Math.abs(b[i][j])), `${what} ${i}[${j}]: ${x} vs cpu ${b[i][j]}`);
      }));
      assert.equal(g.values.length, 4);
      assert.equal(g.values[3].length, Math.ceil(3000 * 3001 / 997));
      close('value', g.values, c.values);
      close('EMA', g.ema, c.ema);
      close('Adam slot', g.slots, c.slots);
      assert.equal(new Set(g.numTensors).size, 1, `tensor counts ${g.numTensors}`);
      // update 1 fills the pool, update 2 only reuses it; update 3 runs under tf.profile, which on an adapter with
      // timestamp queries adds one 16-byte buffer per kernel timed at once plus its resolve buffer (on the H200:
      // 288 bytes = 18 x 16, which failed the first version of this check) and on one without adds nothing
      assert.equal(g.gpuBytesAllocated.length, 4);
      assert.equal(g.gpuBytesAllocated[2], g.gpuBytesAllocated[1], `GPU bytes allocated ${g.gpuBytesAllocated}`);
      const profiled = g.gpuBytesAllocated[3] - g.gpuBytesAllocated[2];
      if (g.timestampQuery) assert.ok(profiled % 16 === 0 && profiled <= 16 * (g.kernels + 1), `tf.profile added ${profiled} bytes (${g.gpuBytesAllocated})`);
      else assert.equal(profiled, 0, `tf.profile without timestamp queries added ${profiled} bytes (${g.gpuBytesAllocated})`);
    },
  },
  {
    name: 'the GPU dispatch counter counts shader runs: one per element-wise op, none for a reshape or a clone',
    check: (r) => assert.deepEqual(r.dispatchProbe, { addMul: 2, reshape: 0, clone: 0 }),
  },
  {
    name: "evaluation and tiled upscaling give the cpu backend's numbers and leave no tensors behind",
    check: (r) => {
      const e = r.eval;
      e.psnrGpu.forEach((p, i) => assert.ok(Math.abs(p - e.psnrCpu[i]) < 1e-3, `image ${i}: PSNR ${p} vs cpu ${e.psnrCpu[i]}`));
      assert.ok(e.tiledMaxAbsDiff < 1e-5, `tiled max abs diff ${e.tiledMaxAbsDiff}`);
      assert.equal(e.pngDiff.values, 256 * 256 * 3);
      assert.ok(e.pngDiff.max <= 1, `PNG max diff ${e.pngDiff.max}`); // at most a rounding tie flipped
      assert.ok(e.pngDiff.differing < e.pngDiff.values * 1e-3, `PNG values differing ${e.pngDiff.differing}`);
      assert.equal(e.tensorsAfter, e.tensorsBefore);
    },
  },
  {
    name: 'under tf.profile disposed tensors\' GPU buffers are reused as without it (also on adapters without timestamp queries)',
    check: (r) => {
      const { plain, profiled, tensorBytes } = r.profiledPool;
      // measured on the software adapter without the kit's fix: 16.8 MB profiled vs 4.7 MB (every buffer held to the end)
      assert.ok(profiled <= plain + 4 * tensorBytes, `the pool grew by ${profiled} bytes profiled, ${plain} unprofiled (one tensor: ${tensorBytes})`);
    },
  },
  {
    name: 'a synchronous read of a GPU tensor fails with an error that says to read asynchronously',
    check: (r) => assert.match(r.readSyncError,
      /synchronous read \(dataSync\/arraySync\/bufferSync\) of a GPU tensor is not possible on the webgpu backend in Node; read it with await tensor\.data\(\)/),
  },
  {
    name: 'commands the GPU rejects fail the next read with the first one\'s message (results after it are not trusted), once',
    check: (r) => {
      assert.match(r.gpuError.message, /^the GPU rejected 2 commands since the last read, so this result and any computed with it are invalid: GPUValidationError: Buffer usages .*MapRead/);
      assert.deepEqual(r.gpuError.afterwards, [2, 2]);
    },
  },
];

export const BACKEND_SUITE: WebgpuSuite<BackendResult> = {
  title: 'webgpu backend',
  file: 'test/backend/webgpu.test.ts',
  run: async () => {
    const c = await runJsonChild<BackendResult & { unavailable?: string }>('test/backend/webgpu-child.ts', 'webgpu');
    if (!c.result) throw new Error(c.error);
    if (c.result.unavailable) return { unavailable: c.result.unavailable };
    process.stderr.write(`webgpu checks: ${JSON.stringify(c.result.seconds)} s\n`);
    return { result: c.result };
  },
  checks,
};
