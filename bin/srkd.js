#!/usr/bin/env node
'use strict';
// The srkd CLI: TypeScript sources run through ts-node (transpile-only), so no build step is needed.
const path = require('path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
require('../lib/cli/main').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`srkd: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; },
);
