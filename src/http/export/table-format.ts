/** How a column's values are written: text as it is, numbers in their shortest exact form, timestamps in ISO 8601 UTC. */
export type ExportColumnType = 'text' | 'integer' | 'double' | 'timestamp';

export interface ExportColumn<T> {
  /** The GraphQL field's name: the CSV header and the NDJSON key. */
  readonly name: string;
  readonly type: ExportColumnType;
  readonly value: (row: T) => string | number | Date | null;
}

/** A file format of an export: its content type and how a header and a page of rows are written. */
export interface TableFormat {
  readonly extension: 'csv' | 'ndjson';
  readonly contentType: string;
  header<T>(columns: readonly ExportColumn<T>[]): string;
  rows<T>(columns: readonly ExportColumn<T>[], rows: readonly T[]): string;
}

// What a spreadsheet may read as a formula (OWASP "CSV injection"), and the apostrophe that guards it:
// = + - @ | (or their fullwidth forms, which some spreadsheets read alike) after any leading white
// space, or a first TAB, CR, LF or apostrophe.
const FORMULA_START = /^[\s\u3000]*[=+\-@|\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r\n']/u;
// A number as String() writes it (and negative ones): a spreadsheet reads it as that number, not a formula.
const PLAIN_NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * RFC 4180: CRLF line ends, a field quoted when it holds a comma, a quote or a line break, quotes
 * doubled. NULL is an empty field and '' a quoted empty one (""), as PostgreSQL's COPY … CSV writes them.
 * A text cell starting with = + - @ | (fullwidth too, after any white space), TAB, CR, LF or ' gets one leading apostrophe, so a spreadsheet shows it
 * as text; strip one leading apostrophe from a text cell to get the value back exactly. Numbers,
 * timestamps and text that is a plain number are never changed.
 */
export const CSV: TableFormat = {
  extension: 'csv',
  contentType: 'text/csv; charset=utf-8',
  header: (columns) => `${columns.map((column) => csvText(column.name)).join(',')}\r\n`,
  rows(columns, rows) {
    let text = '';
    for (const row of rows) {
      for (let index = 0; index < columns.length; index++) {
        const column = columns[index]!;
        if (index > 0) text += ',';
        text += csvField(column.type, column.value(row));
      }
      text += '\r\n';
    }
    return text;
  },
};

/** One JSON object a line (LF), keys in column order; NULL as null, timestamps as ISO 8601 text, text exactly as stored. */
export const NDJSON: TableFormat = {
  extension: 'ndjson',
  contentType: 'application/x-ndjson; charset=utf-8',
  header: () => '',
  rows(columns, rows) {
    let text = '';
    for (const row of rows) {
      const object: Record<string, unknown> = {};
      for (const column of columns) object[column.name] = jsonValue(column.value(row));
      text += `${JSON.stringify(object)}\n`;
    }
    return text;
  },
};

function csvField(type: ExportColumnType, value: string | number | Date | null): string {
  if (value === null) return '';
  if (value instanceof Date) return value.toISOString();
  // String() of a double is the shortest text that reads back as the same double; a non-finite one is no number (NULL).
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (value === '') return '""';
  return csvText(type === 'text' && FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value);
}

function csvText(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function jsonValue(value: string | number | Date | null): string | number | null {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}
