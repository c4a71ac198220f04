import { recordStatementInventory } from './recorder';

// Loaded into every test process with `node --require` by scripts/test.sh on a full run, which sets the folder.
const dir = process.env.STATEMENT_INVENTORY_DIR;
if (dir) recordStatementInventory(dir);
