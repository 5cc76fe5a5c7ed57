#!/usr/bin/env node
// Runs a TypeScript entry point through ts-node (transpile-only: type checking is `npm run typecheck`'s job).
'use strict';
const path = require('path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
const [, , entry, ...rest] = process.argv;
if (!entry) { console.error('usage: run-ts.js <file.ts> [args...]'); process.exit(2); }
process.argv = [process.argv[0], path.resolve(entry), ...rest];
require(path.resolve(entry));
