// Worker-thread entry point of WorkerBatchStream (worker-batches.ts): plain JS, so it can register ts-node
// (transpile-only, as lib/parallel/worker-bootstrap.js does) before loading the TypeScript worker.
'use strict';
const path = require('path');
if (!require.extensions['.ts']) {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', '..', 'tsconfig.json') });
}
require('./batch-worker');
