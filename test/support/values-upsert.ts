import type { SqlDialect } from '../../src/datastore/dialects/dialect';
import type { Statement, UpsertSpec } from '../../src/datastore/types';
import { validateUpsert } from '../../src/datastore/upsert/validate-upsert';
import { valuesRowsPerStatement, valuesStatements } from '../../src/datastore/upsert/values-batches';

/**
 * The multi-row VALUES UPSERT at `rowsPerStatement` rows a statement (at most, and by default, what the
 * dialect's row and bind limits allow): the form every dialect has, which tests and the publish bench
 * set the set-based forms beside.
 */
export function compileValuesUpsert(dialect: SqlDialect, spec: UpsertSpec, rowsPerStatement = valuesRowsPerStatement(dialect, spec)): Statement[] {
  validateUpsert(dialect, spec);
  return [...valuesStatements(dialect, spec, Math.max(1, Math.min(rowsPerStatement, valuesRowsPerStatement(dialect, spec))))];
}
