// Worker-thread entry point of the data-parallel pool: plain JS, so it can register ts-node
// (transpile-only; type checking is `npm run typecheck`'s job) before loading the TypeScript worker.
'use strict';
const path = require('path');
if (!require.extensions['.ts']) {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', '..', 'tsconfig.json') });
}
require('./worker-main');
