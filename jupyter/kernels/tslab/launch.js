#!/usr/bin/env node
/**
 * Kernel launcher for the committed kernelspec (spec/notebooks.md §3).
 *
 * Jupyter starts kernels in the notebook's directory, but tslab compiles with rootDir = cwd, so
 * `./lib/...` imports only work when the kernel runs from the project root. This walks up from the
 * start directory to the first one holding node_modules/tslab (fallback: three levels above this
 * file, i.e. the project root when run from jupyter/kernels/tslab), changes into it and starts the
 * project's own tslab. The notebook directory stays available as TSLAB_NOTEBOOK_DIR.
 */
'use strict';
const fs = require('fs');
const path = require('path');

function findProjectRoot(startDir) {
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules' && fs.existsSync(path.join(dir, 'node_modules', 'tslab', 'dist', 'main.js'))) {
      return dir;
    }
    if (path.dirname(dir) === dir) return null;
  }
}

const startDir = process.cwd();
const connectionFile = process.argv[2];
if (!connectionFile) {
  process.stderr.write('usage: node launch.js CONNECTION_FILE (Jupyter passes it via kernel.json)\n');
  process.exit(2);
}
const root = findProjectRoot(startDir) ?? path.resolve(__dirname, '..', '..', '..');
const mainJs = path.join(root, 'node_modules', 'tslab', 'dist', 'main.js');
if (!fs.existsSync(mainJs)) {
  process.stderr.write(`tslab kernel: no node_modules/tslab above ${startDir} or at ${root}; run \`npm ci\` in the project\n`);
  process.exit(1);
}
process.env.TSLAB_NOTEBOOK_DIR = startDir;
const configPath = path.resolve(startDir, connectionFile); // resolve before chdir
process.chdir(root);
require(mainJs).startKernel({ configPath, enableFindLocal: false, jsKernel: false });
