/**
 * Prints scripts/gpu-check.sh's results (the folder it wrote, default out/gpu-check) as a short Markdown report
 * (lib/bench/gpu-summary.ts).   npm run gpu:summary -- [folder]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { summarizeGpuCheck } from '../lib/bench/gpu-summary';

const dir = process.argv[2] ?? path.join(__dirname, '..', 'out', 'gpu-check');
if (!fs.existsSync(dir)) {
  process.stderr.write(`gpu-summary: no folder ${dir} (pass the folder gpu-check.sh wrote)\n`);
  process.exit(2);
}
const read = (name: string): string | null => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8') : null);
process.stdout.write(summarizeGpuCheck({ adapter: read('adapter.json'), verdicts: read('verdicts.json'), train: read('train.jsonl'), bench: read('bench.jsonl') }));
