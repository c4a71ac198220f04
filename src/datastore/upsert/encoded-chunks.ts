import type { Statement, UpsertSpec } from '../types';
import { rowValue } from './row-value';
import type { SetBasedUpsert } from './upsert-dialect';

/** A validated batch in the dialect's set-based form, one statement a chunk. */
export function* setBasedStatements(form: SetBasedUpsert, spec: UpsertSpec): Generator<Statement> {
  for (const chunk of encodedChunks(form, spec)) yield { sql: form.sql, parameters: form.parameters(chunk), kind: 'upsert' };
}

/**
 * The batch encoded chunk by chunk, each chunk's texts column by column, a chunk encoded only when it
 * is asked for. A chunk closes at maxRows rows, or before the row that would take it past maxSize; a
 * row over the budget goes alone. A value identical to the previous row's reuses its text (a run id).
 */
function* encodedChunks(form: SetBasedUpsert, spec: UpsertSpec): Generator<string[][]> {
  const width = spec.columns.length;
  const previousValues: unknown[] = [];
  const previousTexts: string[] = [];
  let chunk: string[][] = spec.columns.map(() => []);
  let rows = 0;
  let size = 0;
  const texts = new Array<string>(width);
  const read = rowValue(spec);
  for (let rowIndex = 0; rowIndex < spec.rows.length; rowIndex++) {
    const row = spec.rows[rowIndex]!;
    let rowSize = 0;
    for (let columnIndex = 0; columnIndex < width; columnIndex++) {
      const value = read(row, spec.columns[columnIndex]!.name);
      if (rowIndex === 0 || !Object.is(value, previousValues[columnIndex])) {
        previousValues[columnIndex] = value;
        previousTexts[columnIndex] = form.encode(value, rowIndex * width + columnIndex);
      }
      texts[columnIndex] = previousTexts[columnIndex]!;
      rowSize += form.sizeOf(texts[columnIndex]!) + 1;
    }
    if (rows > 0 && (rows >= form.maxRows || size + rowSize > form.maxSize)) {
      yield chunk;
      chunk = spec.columns.map(() => []);
      rows = 0;
      size = 0;
    }
    for (let columnIndex = 0; columnIndex < width; columnIndex++) chunk[columnIndex]!.push(texts[columnIndex]!);
    rows += 1;
    size += rowSize;
  }
  if (rows > 0) yield chunk;
}
