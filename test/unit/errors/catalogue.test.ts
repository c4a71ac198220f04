import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE } from '../../../src/errors/catalogue';

// Compiled to dist/test/unit/errors/, so the repository root is four levels up.
const ERRORS_DOC = path.resolve(__dirname, '../../../../docs/errors.md');

/**
 * The codes in the markdown tables under the `## Error codes` heading: rows of the form
 * "| `CODE` | meaning |", up to the next heading of level 1 or 2. Null when there is no such heading.
 */
function documentedErrorCodes(markdown: string): string[] | null {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((line) => /^##\s+Error codes\s*$/i.test(line.trim()));
  if (start < 0) return null;
  const codes: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,2}\s/.test(line.trim())) break;
    const row = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|(.*)\|\s*$/.exec(line.trim());
    if (row) codes.push(row[1]!);
  }
  return codes;
}

describe('error catalogue', () => {
  it('the "Error codes" tables of docs/errors.md list exactly the codes in ERROR_CATALOGUE', () => {
    assert.ok(
      existsSync(ERRORS_DOC),
      `docs/errors.md is missing at ${ERRORS_DOC}: it must have a "## Error codes" table listing every code in src/errors/catalogue.ts`,
    );
    const codes = documentedErrorCodes(readFileSync(ERRORS_DOC, 'utf8'));
    assert.ok(codes, `docs/errors.md has no "## Error codes" heading (expected a table of rows like "| \`CODE\` | meaning |")`);

    const catalogue = Object.keys(ERROR_CATALOGUE);
    const missing = catalogue.filter((code) => !codes.includes(code));
    const unknown = codes.filter((code) => !catalogue.includes(code));
    const duplicated = codes.filter((code, index) => codes.indexOf(code) !== index);
    const problems = [
      missing.length > 0 ? `codes missing from docs/errors.md: ${missing.join(', ')}` : '',
      unknown.length > 0 ? `codes in docs/errors.md that the catalogue lacks: ${unknown.join(', ')}` : '',
      duplicated.length > 0 ? `codes listed more than once in docs/errors.md: ${duplicated.join(', ')}` : '',
    ].filter(Boolean);
    assert.deepEqual(problems, [], `docs/errors.md "Error codes" tables differ from ERROR_CATALOGUE:\n  ${problems.join('\n  ')}`);
  });

  it('every catalogue entry has a non-empty meaning', () => {
    for (const [code, meaning] of Object.entries(ERROR_CATALOGUE)) {
      assert.match(code, /^[A-Z][A-Z0-9_]*$/, `${code} is an upper-case code`);
      assert.ok(meaning.trim().length > 0, `${code} has a meaning`);
    }
  });
});
