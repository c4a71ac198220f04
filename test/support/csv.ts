/** TESTS ONLY: an RFC 4180 reader that keeps what a writer can say, for checking the exports field by field. */

export interface CsvField {
  readonly text: string;
  /** Written in quotes: an empty quoted field is '', an empty unquoted one NULL (COPY … CSV's convention). */
  readonly quoted: boolean;
}

/** Every record of a CSV text whose records end in CRLF; fails on anything RFC 4180 does not allow. */
export function parseCsv(text: string): CsvField[][] {
  const records: CsvField[][] = [];
  let record: CsvField[] = [];
  let at = 0;
  while (at < text.length) {
    let field: CsvField;
    if (text[at] === '"') {
      let value = '';
      at++;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote < 0) throw new Error(`unterminated quoted field at ${at}`);
        value += text.slice(at, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          at = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      field = { text: value, quoted: true };
    } else {
      let end = at;
      while (end < text.length && text[end] !== ',' && text[end] !== '\r' && text[end] !== '\n') {
        if (text[end] === '"') throw new Error(`a quote inside an unquoted field at ${end}`);
        end++;
      }
      field = { text: text.slice(at, end), quoted: false };
      at = end;
    }
    record.push(field);
    if (text[at] === ',') {
      at++;
      continue;
    }
    if (text.startsWith('\r\n', at)) {
      records.push(record);
      record = [];
      at += 2;
      continue;
    }
    throw new Error(`expected a comma or CRLF at ${at}, got ${JSON.stringify(text.slice(at, at + 10))}`);
  }
  if (record.length > 0) throw new Error('the last record does not end in CRLF');
  return records;
}

/** A text cell's value as the export wrote it: NULL for an unquoted empty field, one guarding apostrophe removed. */
export function csvText(field: CsvField): string | null {
  if (field.text === '' && !field.quoted) return null;
  return field.text.startsWith("'") ? field.text.slice(1) : field.text;
}
