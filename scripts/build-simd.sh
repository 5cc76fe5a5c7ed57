#!/usr/bin/env bash
# Rebuilds the kit's hand-written wasm-SIMD kernels: every lib/backend/simd/*.c linked into one module,
# simd-kernels.wasm (plain memory) and simd-kernels.shared.wasm (shared memory, for tfjs's threaded build),
# and records the sources' hashes in build-info.json, which a unit test checks: an edited .c without a
# rebuild fails CI. The .wasm files are committed, so users and CI need no compiler.
# Needs clang, lld and wabt (Debian: apt-get install clang lld wabt).
set -euo pipefail
cd "$(dirname "$0")/../lib/backend/simd"
# The module imports tfjs-backend-wasm's memory: it must own no data and never touch a stack there
# (clang puts a shadow stack in linear memory only for address-taken locals; checked below).
FLAGS=(--target=wasm32 -msimd128 -O3 -nostdlib -ffreestanding -fno-builtin -Wall -Wextra -Werror
  -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all)
SOURCES=(*.c)
clang "${FLAGS[@]}" -o simd-kernels.wasm "${SOURCES[@]}"
clang "${FLAGS[@]}" -matomics -mbulk-memory -Wl,--shared-memory -Wl,--max-memory=4294967296 \
  -o simd-kernels.shared.wasm "${SOURCES[@]}"
for f in simd-kernels.wasm simd-kernels.shared.wasm; do
  if wasm-objdump -d "$f" | grep -q 'global\.[gs]et'; then
    echo "error: $f uses the shadow stack (an address-taken local or array); keep everything in locals" >&2
    exit 1
  fi
  if wasm-objdump -h "$f" | grep -qE '^ *(Data|DataCount|Memory|Start) '; then
    echo "error: $f has a data, memory or start section" >&2
    exit 1
  fi
  echo "built $f ($(stat -c %s "$f") bytes)"
done
{
  echo '{'
  echo '  "wasm": "simd-kernels.wasm",'
  echo '  "sharedMemoryWasm": "simd-kernels.shared.wasm",'
  echo '  "sources": {'
  sep=''
  for src in "${SOURCES[@]}"; do
    printf '%s    "%s": "%s"' "$sep" "$src" "$(sha256sum "$src" | cut -d' ' -f1)"
    sep=$',\n'
  done
  printf '\n  },\n'
  echo "  \"compiler\": \"$(clang --version | head -1)\","
  echo "  \"flags\": \"${FLAGS[*]}\""
  echo '}'
} > build-info.json
