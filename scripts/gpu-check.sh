#!/usr/bin/env bash
# The GPU check of the webgpu path, for a Linux x86-64 host with a GPU and its driver (e.g. NVIDIA's).
#   OUT=<folder> bash scripts/gpu-check.sh [--allow-software] [--quick] [--budget-s N]
# 1. The Vulkan loader (libvulkan.so.1) and glvnd's dispatch library (libGLdispatch.so.0, which NVIDIA's Vulkan
#    driver needs): kept if present; else unpacked from .gpu/debs (scripts/gpu-pack.sh) or .gl/*.deb; else
#    installed with apt-get (apt packages libvulkan1, libglvnd0).
# 2. The GPU's Vulkan driver: NVIDIA's ICD file is looked for where drivers and containers put it
#    (/usr/share/vulkan/icd.d, /etc/vulkan/icd.d, /usr/local/nvidia/share/vulkan/icd.d).
# 3. Node and node_modules: as installed; else from .gpu/ (scripts/gpu-pack.sh); else 'npm ci'.
# 4. Runs, writing under $OUT:
#      env.txt        nvidia-smi, the Vulkan ICDs found, node version
#      adapter.json   srkd backend --backend webgpu --check --json: the adapter (BackendInfo) and, per method and
#                     backbone, the kernels an iteration needs that webgpu lacks
#      checks.json    test/backend/webgpu-child.ts: kernel check, EDSR/RCAN/SwinIR training-step gradients
#                     against the cpu backend, 4 Adam steps with tensor and GPU buffer counts, eval vs cpu
#      verdicts.json  the checks of test/backend/webgpu.test.ts, test/backend/webgpu-kit-conv.test.ts (the kit's
#                     tiled convolution), test/train/webgpu-train.test.ts (train() on webgpu vs cpu, resume bit
#                     for bit) and test/train/webgpu-methods.test.ts (CSD, DCKD),
#                     asserted by scripts/gpu-verdicts.ts: the same checks without vitest, which .gpu leaves out
#      train.jsonl    a 200-step quick-preset DUKD run on webgpu (srkd train --json progress, steps/s)
#      bench.jsonl    npm run bench -- --backend webgpu --json --no-torch (one JSON row per case; DCKD last), then the
#                     paper-scale case under variants (tfjs's forward convolution, the kit's wide one, tfjs's tiled input gradient,
#                     stock kernels instead of the kit's) and the DCKD case twice (input-gradient shaders)
#      log.txt        everything printed, ending with a Markdown summary (scripts/gpu-summary.ts)
# --budget-s N: end within N seconds (a lease's time limit): each step gets what is left, less 30 s kept for the
# summary; a step cut short keeps what it wrote (bench rows are written as each case ends), later steps are skipped.
# The checks run on a GPU only: without one the script stops after adapter.json, unless --allow-software
# (a rehearsal on Mesa's software adapter that installs nothing; with --quick the bench runs two small cases).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="${OUT:-$ROOT/out/gpu-check}"
mkdir -p "$OUT"
ALLOW_SOFTWARE=0
QUICK=()
BUDGET_S=0
usage() { echo "usage: OUT=<folder> bash scripts/gpu-check.sh [--allow-software] [--quick] [--budget-s N]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --allow-software) ALLOW_SOFTWARE=1 ;;
    --quick) QUICK=(--quick --repeats 1 --cases student16-train,edsr-infer) ;;
    --budget-s) [[ "${2:-}" =~ ^[0-9]+$ ]] || usage; BUDGET_S=$2; shift ;;
    *) usage ;;
  esac
  shift
done
exec > >(tee "$OUT/log.txt") 2>&1
say() { echo "gpu-check [$SECONDS s]: $*"; }
# timed <command...>: runs it within what is left of --budget-s (exit 124 when cut short, 125 when skipped)
timed() {
  [ "$BUDGET_S" -eq 0 ] && { "$@"; return; }
  local left=$((BUDGET_S - SECONDS - 30)) cmd="$*"
  if [ $left -lt 10 ]; then say "skipped, the ${BUDGET_S} s budget is spent: ${cmd:0:120}" >&2; return 125; fi
  timeout -k 5 "$left" "$@"
  local rc=$?
  [ $rc -eq 124 ] && say "cut short by the ${BUDGET_S} s budget: ${cmd:0:120}" >&2
  return $rc
}

# --- 1. Vulkan loader ------------------------------------------------------------------------------------
has_vulkan() { ldconfig -p | grep 'libvulkan\.so\.1' >/dev/null && ldconfig -p | grep 'libGLdispatch\.so\.0' >/dev/null; }
if ! has_vulkan && [ $ALLOW_SOFTWARE -eq 1 ]; then
  say "rehearsal (--allow-software): not installing the Vulkan loader on this host"
elif ! has_vulkan; then
  debs=$(ls .gpu/debs/*.deb .gl/*.deb 2>/dev/null || true)
  if [ -n "$debs" ]; then
    say "unpacking $(echo "$debs" | wc -l) .deb(s) (the Vulkan loader, glvnd) into /"
    for f in $debs; do dpkg -x "$f" /; done
    ldconfig
  elif command -v apt-get >/dev/null; then
    say "installing libvulkan1 and libglvnd0 with apt-get"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends libvulkan1 libglvnd0 >/dev/null
  fi
fi
has_vulkan || say "WARNING: libvulkan.so.1 or libGLdispatch.so.0 is still missing (apt packages libvulkan1, libglvnd0)"

# --- 2. The driver's Vulkan ICD ----------------------------------------------------------------------------
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
    for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
      if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; say "Vulkan driver file: $icd"; break; fi
    done
  fi
fi
egl_nvidia=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$egl_nvidia" ] && [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$egl_nvidia"

# --- 3. Node and node_modules --------------------------------------------------------------------------------
if ! command -v node >/dev/null && [ -f .gpu/node.xz ]; then
  mkdir -p /tmp/gpu-node/bin && xz -dc .gpu/node.xz > /tmp/gpu-node/bin/node && chmod +x /tmp/gpu-node/bin/node
  export PATH="/tmp/gpu-node/bin:$PATH"
fi
command -v node >/dev/null || { say "no Node: install Node >= 20.19 or run scripts/gpu-pack.sh on a host with apt and carry .gpu"; exit 1; }
if [ ! -d node_modules ]; then
  if [ -f .gpu/node_modules.tar.xz ]; then
    say "unpacking node_modules from .gpu"
    tar -xJf .gpu/node_modules.tar.xz
  else
    npm ci --no-audit --no-fund || { say "npm ci failed (no registry?): run scripts/gpu-pack.sh elsewhere and carry .gpu"; exit 1; }
  fi
fi

{
  echo "date: $(date -u +%FT%TZ)"; echo "node: $(node --version)"; uname -a
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

# --- 4. Adapter, checks, benchmark -----------------------------------------------------------------------
export SRKD_BACKEND=webgpu
timed node bin/srkd.js backend --backend webgpu --check --json > "$OUT/adapter.json"
coverage=$?
grep -q '^{' "$OUT/adapter.json" || { say "no WebGPU adapter (see above)"; exit 1; }
node -e 'const j = require(process.argv[1]); const rows = j.coverage.rows; delete j.coverage;
  console.log(JSON.stringify(j, null, 1));
  for (const r of rows.filter((r) => r.missing.length)) console.log(`missing on webgpu: ${r.method} ${r.backbone}: ${r.missing.join(", ")}`);
  console.log(`kernel coverage: ${rows.filter((r) => !r.notApplicable).length} method x backbone pairs, ${rows.filter((r) => r.missing.length).length} lacking kernels`);' \
  "$OUT/adapter.json"
[ $coverage -eq 0 ] || say "WARNING: webgpu lacks kernels that some methods need (coverage rows in adapter.json)"
if grep -q '"software": true' "$OUT/adapter.json" && [ $ALLOW_SOFTWARE -eq 0 ]; then
  say "the adapter is a software one, not the GPU: check the driver's Vulkan ICD (env.txt); --allow-software rehearses anyway"
  exit 1
fi

say "webgpu checks (child process, JSON)"
timed node --expose-gc bin/run-ts.js test/backend/webgpu-child.ts > "$OUT/checks.json"
checks=$?
say "webgpu checks asserted: backend, kit convolution, train() vs cpu and resume bit-exact, CSD and DCKD vs cpu"
timed node bin/run-ts.js scripts/gpu-verdicts.ts > "$OUT/verdicts.json"
tests=$?
say "a 200-step quick-preset DUKD run on webgpu (steps/s in train.jsonl)"
QUICK_STEPS=200
[ ${#QUICK[@]} -gt 0 ] && QUICK_STEPS=20
# the run's folder stays outside $OUT: the device tool brings back at most 8 files, and these are the 7 above
RUNS=$(mktemp -d /tmp/gpu-check-runs.XXXXXX)
printf '{"preset": "quick", "method": {"kind": "dukd"}, "val": {"sets": []}}\n' > "$RUNS/quick-dukd.json"
SRKD_BACKEND=webgpu timed node bin/srkd.js train --config "$RUNS/quick-dukd.json" --engine in-process --steps "$QUICK_STEPS" \
  --runs-dir "$RUNS" --json > "$OUT/train.jsonl"
quick=$?
tail -n 2 "$OUT/train.jsonl"
say "benchmark on webgpu"
# bench prints its rows when every case is done: the DCKD case (the largest memory) runs on its own near the end,
# so that if it runs out of memory the other rows are kept
CASES=(--cases dukd-paper,edsr-train,student16-train,edsr-infer)
[ ${#QUICK[@]} -gt 0 ] && CASES=()
timed node bin/run-ts.js scripts/bench.ts --backend webgpu --json --no-torch "${CASES[@]}" "${QUICK[@]}" > "$OUT/bench.jsonl"
bench=$?
cat "$OUT/bench.jsonl"
# The paper-scale case again under variants: tfjs's forward convolution instead of the kit's (on by default since
# the H200 run of 2026-12-04), the kit's second convolution shader (register prefetch, 128-channel tiles), tfjs-webgpu's tiled input-gradient shader instead of its default naive one (both
# pass every webgpu check; on the H200 the tiled one ran the kernel at 9.3 TFLOP/s against 5.7, but that
# iteration was slower: to measure again), and tfjs-webgpu's stock kernels and ops instead of the kit's (its
# Conv2DBackpropFilter and its many-kernel Adam and EMA updates: what the kit kernels buy). Rows follow a
# {"variant": ...} line in bench.jsonl. Left out after that run: 128 dispatches per submit (0.72x) and
# WEBGPU_CONV_SEPARATE_IM2COL_SHADER (its im2col buffer, 5.4 GB, passes WebGPU's 2 GiB binding limit).
if [ ${#QUICK[@]} -eq 0 ]; then
  variant_row() {  # variant_row <VAR=value> <bench args...>: a {"variant"} line, then the rows
    say "benchmark variant: $1"
    echo "{\"variant\": \"$1\"}" >> "$OUT/bench.jsonl"
    timed env "$1" node bin/run-ts.js scripts/bench.ts --backend webgpu --json --no-torch "${@:2}" | tee -a "$OUT/bench.jsonl"
  }
  # in the order of what they decide, so that a time budget cuts the least telling ones: the defaults, then one
  # DCKD iteration (SwinIR pair x4, batch 16, LR 48) with its VQGAN share, in a process of its own (its input
  # gradients ran at 1.4 TFLOP/s on the H200: the tiled shader may help it more than DUKD)
  variant_row SRKD_WEBGPU_KIT_CONV=off --cases dukd-paper --repeats 5
  variant_row SRKD_WEBGPU_KIT_CONV=wide --cases dukd-paper --repeats 5
  variant_row SRKD_TFJS_FLAGS=WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false --cases dukd-paper --repeats 5
  # (each DCKD process took 141 s on the H200 with 3 repeats: 2 here)
  variant_row SRKD_TFJS_FLAGS= --cases dckd-swinir --repeats 2
  variant_row SRKD_TFJS_FLAGS=WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false --cases dckd-swinir --repeats 2
  # stock kernels last: slow (3.2 s per iteration on the H200, its filter gradient at 0.21 TFLOP/s), so a time
  # budget cuts this one first
  variant_row SRKD_WEBGPU_KIT_KERNELS=off --cases dukd-paper --repeats 3
fi
say "summary (npm run gpu:summary -- <this folder> prints it again)"
node bin/run-ts.js scripts/gpu-summary.ts "$OUT"
say "exit codes: kernel coverage $coverage, checks $checks, verdicts $tests, quick run $quick, bench $bench"
[ $coverage -eq 0 ] && [ $checks -eq 0 ] && [ $tests -eq 0 ] && [ $quick -eq 0 ] && [ $bench -eq 0 ]
