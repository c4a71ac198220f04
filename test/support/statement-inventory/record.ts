import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// Loaded into every test process, and every node process a test starts, by scripts/test.sh on a full run
// (NODE_OPTIONS=--require=…), which sets the folder. Worker threads inherit it but run no statements, and
// must not load the recorder at all: the odbc addon loaded in a worker crashes the main thread's connects.
const dir = process.env.STATEMENT_INVENTORY_DIR;
if (dir && isMainThread) {
  const recorder = createRequire(__filename)('./recorder') as typeof import('./recorder');
  recorder.recordStatementInventory(dir);
}
