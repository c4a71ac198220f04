import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { inventoryReport, readInventoryEvents, type InventoryReport } from '../support/statement-inventory/report';
import { statementSources } from '../support/statement-inventory/sources';

/**
 * The statement inventory (docs/development.md#the-statement-inventory), checked after the whole suite:
 * scripts/test.sh runs it last, on a full run only, over what every test process recorded.
 */
const dir = process.env.STATEMENT_INVENTORY_DIR;

it('every statement source of the Oracle and Tibero dialects, and every variant, ran without error on H2 or is excluded with a reason', (t) => {
  const events = dir && existsSync(dir) ? readInventoryEvents(dir) : [];
  if (events.length === 0) {
    assert.fail(
      'No statement coverage was recorded. This check reads what the whole suite ran on H2: run `npm test` with no file ' +
        'arguments; it sets STATEMENT_INVENTORY_DIR, records in every test process and runs this check last.',
    );
  }
  const report = inventoryReport(statementSources(), events);
  const listing = path.join(dir!, 'inventory.txt');
  writeFileSync(listing, describe(report));
  t.diagnostic(`${report.covered.length} ran on H2, ${report.excluded.length} excluded, ${report.missing.length} missing: ${listing}`);
  assert.deepEqual(report.problems, []);
  if (report.missing.length > 0) {
    assert.fail(
      `${report.missing.length} statement source(s) of the Oracle and Tibero dialects never ran on H2:\n` +
        report.missing.map((unit) => `  ${unit}\n`).join('') +
        'Run each in a test on the oracle or tibero target (oracleDatabase()/tiberoDatabase() in test/support/databases.ts, ' +
        'or a round-trip target; test/integration/oracle-mode/ has examples) that checks the values it reads or writes. ' +
        'A method that writes no SQL the Oracle family runs goes into EXCLUDED in ' +
        'test/support/statement-inventory/expectations.ts, with the reason.',
    );
  }
});

function describe(report: InventoryReport): string {
  return [
    ...report.covered.map((unit) => `ran on H2  ${unit}`),
    ...report.missing.map((unit) => `MISSING    ${unit}`),
    ...report.excluded.map(({ unit, reason }) => `excluded   ${unit}: ${reason}`),
  ]
    .map((line) => `${line}\n`)
    .join('');
}
