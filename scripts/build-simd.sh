#!/usr/bin/env bash
# Rebuilds the kit's hand-written wasm-SIMD kernels: every lib/backend/simd/*.c linked into one module, in
# four builds: plain (wasm SIMD 1.0) and relaxed (f32x4.relaxed_madd, a fused multiply-add where the CPU
# has one), each for a plain memory and for the shared memory of tfjs's threaded build. Records the
# sources' hashes in build-info.json, which a unit test checks: an edited .c without a rebuild fails CI.
# The .wasm files are committed, so users and CI need no compiler.
# Needs clang >= 16 (relaxed SIMD intrinsics), lld and wabt: apt-get install clang-16 lld wabt.
set -euo pipefail
CC=${CC:-clang-16}
cd "$(dirname "$0")/../lib/backend/simd"
# The module imports tfjs-backend-wasm's memory: it must own no data and never touch a stack there
# (clang puts a shadow stack in linear memory only for address-taken locals; checked below).
FLAGS=(--target=wasm32 -msimd128 -O3 -nostdlib -ffreestanding -fno-builtin -Wall -Wextra -Werror
  -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all)
SHARED=(-matomics -mbulk-memory -Wl,--shared-memory -Wl,--max-memory=4294967296)
SOURCES=(*.c)
"$CC" "${FLAGS[@]}" -o simd-kernels.wasm "${SOURCES[@]}"
"$CC" "${FLAGS[@]}" "${SHARED[@]}" -o simd-kernels.shared.wasm "${SOURCES[@]}"
"$CC" "${FLAGS[@]}" -mrelaxed-simd -o simd-kernels.relaxed.wasm "${SOURCES[@]}"
"$CC" "${FLAGS[@]}" -mrelaxed-simd "${SHARED[@]}" -o simd-kernels.relaxed.shared.wasm "${SOURCES[@]}"
OUTPUTS=(simd-kernels.wasm simd-kernels.shared.wasm simd-kernels.relaxed.wasm simd-kernels.relaxed.shared.wasm)
for f in "${OUTPUTS[@]}"; do
  code=$(wasm-objdump -d "$f") # a failure here stops the script (set -e): the checks must not pass by default
  headers=$(wasm-objdump -h "$f")
  if grep -q 'global\.[gs]et' <<<"$code"; then
    echo "error: $f uses the shadow stack (an address-taken local or array); keep everything in locals" >&2
    exit 1
  fi
  if grep -qE '^ *(Data|DataCount|Memory|Start) ' <<<"$headers"; then
    echo "error: $f has a data, memory or start section" >&2
    exit 1
  fi
  echo "built $f ($(stat -c %s "$f") bytes)"
done
{
  echo '{'
  echo '  "builds": {'
  echo '    "plain": "simd-kernels.wasm",'
  echo '    "plainShared": "simd-kernels.shared.wasm",'
  echo '    "relaxed": "simd-kernels.relaxed.wasm",'
  echo '    "relaxedShared": "simd-kernels.relaxed.shared.wasm"'
  echo '  },'
  echo '  "sources": {'
  sep=''
  for src in "${SOURCES[@]}" madd.h; do
    printf '%s    "%s": "%s"' "$sep" "$src" "$(sha256sum "$src" | cut -d' ' -f1)"
    sep=$',\n'
  done
  printf '\n  },\n'
  echo "  \"compiler\": \"$("$CC" --version | head -1)\","
  echo "  \"flags\": \"${FLAGS[*]}\""
  echo '}'
} > build-info.json
