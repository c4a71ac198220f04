import { isMainThread } from 'node:worker_threads';
import { recordStatementInventory } from './recorder';

// Loaded into every test process, and every node process a test starts, by scripts/test.sh on a full run
// (NODE_OPTIONS=--require=…), which sets the folder. Worker threads inherit it but run no statements.
const dir = process.env.STATEMENT_INVENTORY_DIR;
if (dir && isMainThread) recordStatementInventory(dir);
