import type { Statement, UpsertSpec } from '../types';
import { setBasedStatements } from './encoded-chunks';
import type { UpsertDialect } from './upsert-dialect';
import { validateUpsert } from './validate-upsert';
import { valuesRowsPerStatement, valuesStatements } from './values-batches';

/**
 * An UPSERT batch as statements that together write every row, each within the dialect's limits, to be
 * run in order in one transaction. The batch is checked whole first; each statement is built when asked
 * for, so the next can be built while the database runs the one before (a value with no SQL form, NaN,
 * may still throw then, as binding it would). The dialect's set-based form where it has one, else
 * multi-row VALUES.
 */
export function upsertStatements(dialect: UpsertDialect, spec: UpsertSpec): Iterable<Statement> {
  validateUpsert(dialect, spec);
  const setBased = dialect.setBasedUpsert(spec);
  return setBased ? setBasedStatements(setBased, spec) : valuesStatements(dialect, spec, valuesRowsPerStatement(dialect, spec));
}
