import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter, libraryFound } from '../../lib/backend/webgpu';

// Backend selection is per process, so each case runs in a fresh Node process.
function runIn(env: Record<string, string>, body: string): { status: number | null; stdout: string; stderr: string } {
  const script = `require('ts-node').register({transpileOnly:true});${body}.then(i=>{console.log(JSON.stringify(i));},` +
    'e=>{console.error(e.message);process.exit(3);})';
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const selectIn = (env: Record<string, string>) => runIn(env, "require('./lib/backend/index').initBackend()");
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);
// This host (and CI) has no Vulkan loader; on a GPU host auto-selection would rightly take webgpu.
const noVulkan = !libraryFound('libvulkan.so.1');

describe('initBackend', () => {
  it.runIf(noVulkan)('picks wasm with the kit training kernels when tfjs-node and a GPU are absent, saying why in one line', () => {
    const r = selectIn({ SRKD_BACKEND: '' });
    expect(r.status).toBe(0);
    const info = lastJson(r.stdout);
    expect(info.name).toBe('wasm');
    expect(info.kitKernels).toContain('Conv2DBackpropFilter');
    expect(info.versions['tfjs-backend-wasm']).toBe('4.22.0');
    expect(info.adapter).toBeNull();
    expect(info.passedOver).toEqual(['webgpu: the Vulkan loader libvulkan.so.1 (apt package libvulkan1) is not installed']);
    expect(r.stderr.match(/srkd: not using webgpu: the Vulkan loader libvulkan\.so\.1 \(apt package libvulkan1\)/g)).toHaveLength(1);
    expect(r.stderr.match(/srkd: backend wasm/g)).toHaveLength(1);
  });

  it('honours SRKD_BACKEND=cpu', () => {
    const r = selectIn({ SRKD_BACKEND: 'cpu' });
    expect(r.status).toBe(0);
    expect(lastJson(r.stdout).name).toBe('cpu');
  });

  it('fails clearly when the forced tensorflow backend is missing', () => {
    const r = selectIn({ SRKD_BACKEND: 'tensorflow' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/SRKD_BACKEND=tensorflow but neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node loads/);
  });

  it('rejects an unknown backend name, naming the value', () => {
    const r = selectIn({ SRKD_BACKEND: 'webgl2' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/SRKD_BACKEND must be one of tensorflow, webgpu, wasm, cpu \(got 'webgl2'\)/);
  });

  it.runIf(noVulkan)('fails clearly when webgpu is forced and no adapter can be created', () => {
    // Mesa's EGL cannot initialise the X11 platform without a display, so the software adapter fails too.
    const r = selectIn({ SRKD_BACKEND: 'webgpu', EGL_PLATFORM: 'x11', DISPLAY: '' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/SRKD_BACKEND=webgpu but no WebGPU adapter is available: the Vulkan loader libvulkan\.so\.1 \(apt package libvulkan1\) is not installed; Dawn's OpenGL backend found no adapter \(eglInitialize failed with EGL_PLATFORM=x11; unset EGL_PLATFORM/);
  });

  it('names every missing library and its apt package; auto-selection asks only Vulkan (never the software GL adapter)', () => {
    const probe = (mode: string, found: string) =>
      `require('./lib/backend/webgpu').probeWebgpuAdapter('${mode}', { findLibrary: ${found} })`;
    const r = runIn({}, `Promise.all([${probe('any', '() => false')}, ${probe('gpu', "(f) => f !== 'libvulkan.so.1'")}])`);
    expect(r.status).toBe(0);
    const [forced, auto] = lastJson(r.stdout);
    expect(forced).toEqual({
      ok: false,
      reason: 'the Vulkan loader libvulkan.so.1 (apt package libvulkan1) is not installed; the software OpenGL adapter needs ' +
        'libEGL.so.1 (apt package libegl1), libEGL_mesa.so.0 (apt package libegl-mesa0), dri/swrast_dri.so (apt package libgl1-mesa-dri)',
    });
    expect(auto).toEqual({ ok: false, reason: 'the Vulkan loader libvulkan.so.1 (apt package libvulkan1) is not installed' });
  });

  it.runIf(noVulkan)("names glvnd's dispatch library when Dawn finds no Vulkan adapter and it is missing (NVIDIA's driver needs it)", () => {
    const r = runIn({}, `require('./lib/backend/webgpu').probeWebgpuAdapter('gpu', { findLibrary: (f) => f !== 'libGLdispatch.so.0' })`);
    expect(r.status).toBe(0);
    expect(lastJson(r.stdout)).toEqual({
      ok: false,
      reason: "Dawn found no usable Vulkan adapter (no GPU, or its Vulkan driver is not installed); NVIDIA's Vulkan driver also needs libGLdispatch.so.0 (apt package libglvnd0), which is not installed",
    });
  });

  it('tells software adapters from GPUs by what Dawn reports', () => {
    const soft = [
      { device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6' },
      { device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'Mesa 22.3.6 (LLVM 15.0.6)' }, // lavapipe on Vulkan
      { device: 'SwiftShader Device (Subzero)', description: 'SwiftShader driver' },
      { device: 'Some adapter', description: '', isFallbackAdapter: true },
    ];
    const gpus = [
      { device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA: 550.54.15 550.54.15.0' },
      { device: 'AMD Radeon RX 7900 XTX (RADV NAVI31)', description: 'radv Mesa 23.3.0' },
    ];
    for (const a of soft) expect(isSoftwareAdapter(a), a.device).toBe(true);
    for (const a of gpus) expect(isSoftwareAdapter(a), a.device).toBe(false);
  });
});
