import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../../..');

// A string or template literal that opens a statement, as SQL is written here: an upper-case keyword, then
// an upper-case word, a quote, `*`, `(`, `?`, a digit or an interpolation (`DROP rows …` is prose).
const STATEMENT_START = /^\s*(SELECT|INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|LOCK|TRUNCATE|WITH|DECLARE|FETCH|CLOSE|ANALYZE)\s+([A-Z_"*(?\d]|$)/;

/**
 * TESTS ONLY: the files of src/ outside the dialects and upsert/ that write SQL text, found in their
 * string and template literals (comments do not count), as paths from the repository root.
 */
export function filesWritingSql(): string[] {
  return readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !/^datastore\/(dialects|upsert)\//.test(file))
    .map((file) => `src/${file}`)
    .filter((file) => writesSql(readFileSync(path.join(ROOT, file), 'utf8')))
    .sort();
}

export function writesSql(code: string): boolean {
  const source = ts.createSourceFile('file.ts', code, ts.ScriptTarget.Latest, false);
  const visit = (node: ts.Node): boolean => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) return STATEMENT_START.test(node.text);
    return ts.forEachChild(node, visit) ?? false;
  };
  return visit(source);
}
