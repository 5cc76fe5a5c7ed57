/**
 * Single-thread speed of the kit's wasm training kernels against the stock ones and the kit's own routes
 * without its SIMD kernels (lib/bench/kernels.ts).
 *   npm run bench:kernels [-- --quick] [--json]
 */
import { benchKernels } from '../lib/bench/kernels';
import { formatTable } from '../lib/viz/table';

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');

benchKernels({ quick }).then((rows) => {
  if (json) {
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const fmt = (v: number | null): string => (v === null ? '-' : v.toFixed(2));
  process.stdout.write(`${formatTable(rows.map((r) => ({
    kernel: r.kernel, shape: r.shape, unit: r.unit, stock: fmt(r.stock), 'kit, SIMD off': fmt(r.kitNoSimd), kit: fmt(r.kit), 'kit ms': r.kitMs.toFixed(1),
  })), { title: `kit wasm kernels, one thread${quick ? ' (quick)' : ''}` })}\n`);
}).catch((e) => {
  process.stderr.write(`bench:kernels failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
