#!/usr/bin/env node
/**
 * Clears outputs and execution counts of notebooks in place, so they are committed clean
 * (spec/notebooks.md §4); executed copies live in out/ as CI artifacts.
 *
 *   node scripts/nbstrip.js NB.ipynb...          strip in place (`npm run nb:strip`)
 *   node scripts/nbstrip.js --check NB.ipynb...  change nothing; exit 1 if any notebook needs stripping
 *
 * Also drops per-cell execution timing metadata (`execution`, `ExecuteTime`). Files are written in
 * Jupyter's layout (1-space indent, trailing newline) and only when something changed.
 */
'use strict';
const fs = require('fs');

const TIMING_KEYS = ['execution', 'ExecuteTime'];

/** Strips `nb` in place; returns what was removed, e.g. ['cell 3: 2 outputs', 'cell 3: execution_count']. */
function stripNotebook(nb) {
  const removed = [];
  (nb.cells || []).forEach((cell, index) => {
    if (cell.cell_type === 'code') {
      if (Array.isArray(cell.outputs) && cell.outputs.length > 0) removed.push(`cell ${index}: ${cell.outputs.length} output(s)`);
      if (cell.execution_count !== null && cell.execution_count !== undefined) removed.push(`cell ${index}: execution_count`);
      cell.outputs = [];
      cell.execution_count = null;
    } else if ('outputs' in cell || 'execution_count' in cell) {
      removed.push(`cell ${index}: outputs on a ${cell.cell_type} cell`);
      delete cell.outputs;
      delete cell.execution_count;
    }
    for (const key of TIMING_KEYS) {
      if (cell.metadata && key in cell.metadata) {
        removed.push(`cell ${index}: metadata.${key}`);
        delete cell.metadata[key];
      }
    }
  });
  return removed;
}

function main(argv) {
  const check = argv.includes('--check');
  const files = argv.filter((a) => a !== '--check');
  const unknown = files.find((f) => f.startsWith('-'));
  if (unknown || files.length === 0) {
    process.stderr.write(`${unknown ? `nbstrip: unknown option ${unknown}\n` : ''}usage: node scripts/nbstrip.js [--check] NOTEBOOK.ipynb...\n`);
    return 2;
  }
  let dirty = 0;
  let errors = 0;
  for (const file of files) {
    let nb;
    try {
      nb = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      process.stderr.write(`nbstrip: ${file}: ${err.message}\n`);
      errors++;
      continue;
    }
    const removed = stripNotebook(nb);
    if (removed.length === 0) continue;
    dirty++;
    if (check) {
      process.stdout.write(`${file}: not stripped (${removed.slice(0, 5).join('; ')}${removed.length > 5 ? `; +${removed.length - 5} more` : ''})\n`);
    } else {
      fs.writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
      process.stdout.write(`${file}: stripped ${removed.length} item(s)\n`);
    }
  }
  if (check && dirty > 0) process.stdout.write(`${dirty} notebook(s) have outputs; run \`npm run nb:strip\`\n`);
  if (errors > 0) return 1;
  return check && dirty > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { stripNotebook };
