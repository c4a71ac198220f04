import { isMainThread } from 'node:worker_threads';
import { recordStatementInventory } from './recorder';

// Loaded into every test process with `node --require` by scripts/test.sh on a full run, which sets the
// folder. Worker threads inherit the flag but run no statements (the k-means workers): they skip it.
const dir = process.env.STATEMENT_INVENTORY_DIR;
if (dir && isMainThread) recordStatementInventory(dir);
