#!/usr/bin/env bash
# Prepares .gpu/ for scripts/gpu-check.sh on a GPU machine that reaches no package registry (the device
# machines lent to sessions: no npm, no apt, maybe no Node). Run it here, on a host with apt and an
# installed node_modules; then carry '.gpu' to the GPU machine. It holds:
#   node.xz             this host's Node binary (x86-64, glibc), xz-compressed
#   node_modules.tar.xz node_modules without what the checks never load (other platforms' Dawn builds,
#                       source maps, browser bundles (tfjs's UMD files: Node loads the .node.js ones), tfjs's own tests,
#                       tfjs-node, notebook tooling (tslab, zeromq, core-js, rollup), tsc's CLI and translations,
#                       vitest with vite and its bundler rolldown: gpu-check.sh asserts with scripts/gpu-verdicts.ts)
#   debs/               the .debs of the Vulkan loader (libvulkan1) and of glvnd (libglvnd0 and its GL front ends):
#                       NVIDIA's Vulkan driver, libGLX_nvidia.so.0, links glvnd's libGLdispatch.so.0, which the H200
#                       machine of 2026-12-04 lacked (the loader found no driver until these six were unpacked)
# The device tool carries at most 64 MiB with the working tree; this prints the total and fails above it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || { echo "gpu-pack: run 'npm ci' first" >&2; exit 1; }
rm -rf .gpu && mkdir -p .gpu/debs
xz -T0 -9e -c "$(command -v node)" > .gpu/node.xz
tar -c --exclude='*.map' --exclude='*.min.js' --exclude='*.es2017.js' --exclude='*.esm.js' --exclude='*.d.ts' \
  --exclude='node_modules/webgpu/dist/win32-*' --exclude='node_modules/webgpu/dist/darwin-*' \
  --exclude='node_modules/webgpu/dist/linux-arm64' --exclude='node_modules/@tensorflow/tfjs-node*' \
  --exclude='node_modules/tslab*' --exclude='node_modules/@tslab' --exclude='node_modules/plotly.js-dist-min' \
  --exclude='node_modules/@img/*wasm*' --exclude='node_modules/zeromq' --exclude='node_modules/core-js' \
  --exclude='*_test.js' --exclude='*.fesm.js' --exclude='node_modules/@tensorflow/tfjs/dist/miniprogram' \
  --exclude='node_modules/@tensorflow/tfjs/dist/tf.js' --exclude='*.html' --exclude='*/dist/miniprogram' \
  --exclude='node_modules/typescript/lib/_tsc.js' --exclude='node_modules/typescript/lib/*/diagnosticMessages.generated.json' \
  --exclude='node_modules/lightningcss*' --exclude='node_modules/cmake-ts' --exclude='node_modules/@types' \
  --exclude='node_modules/vitest' --exclude='node_modules/@vitest' --exclude='node_modules/vite' \
  --exclude='node_modules/rolldown' --exclude='node_modules/@rolldown' --exclude='node_modules/rollup' \
  --exclude='node_modules/@rollup' --exclude='node_modules/esbuild' --exclude='node_modules/@esbuild' \
  $(for b in tfjs-core/dist/tf-core tfjs-backend-cpu/dist/tf-backend-cpu tfjs-backend-wasm/dist/tf-backend-wasm \
      tfjs-backend-webgpu/dist/tf-backend-webgpu tfjs-backend-webgl/dist/tf-backend-webgl tfjs-layers/dist/tf-layers \
      tfjs-converter/dist/tf-converter tfjs-data/dist/tf-data; do echo "--exclude=node_modules/@tensorflow/$b.js"; done) \
  node_modules | xz -T0 -6 > .gpu/node_modules.tar.xz
# Debian's libvulkan1 is a plain shared library: it unpacks into / on Ubuntu-based GPU images as well.
(cd .gpu/debs && apt-get download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libgles2 libopengl0 >/dev/null)
# The Set5 images the webgpu checks evaluate on are tracked in test/fixtures and travel with the working tree.
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
pack=$(du -sb .gpu | cut -f1)
echo "gpu-pack: .gpu is $((pack / 1048576)) MiB, tracked files $((tree / 1048576)) MiB; the device tool carries at most 64 MiB in all"
[ $((pack + tree)) -lt $((64 * 1048576)) ] || { echo "gpu-pack: too large to carry" >&2; exit 1; }
