import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Datastore } from '../../../src/datastore/datastore';
import type { Statement } from '../../../src/datastore/types';
import { BUILDER_VARIANTS, DIALECT_VARIANTS, EXCLUDED, type VariantLabeler } from './expectations';
import { scriptStatements } from '../sql-script';
import { StatementLedger } from './ledger';
import { statementSources, type StatementSource } from './sources';

/**
 * TESTS ONLY: records, in this process, which statement sources (sources.ts) produced SQL text that then
 * ran without error on the Oracle-mode target, H2 behind TEST_ORACLE_ODBC, appending to a file of `dir`.
 * It wraps the sources where they live (prototypes, module exports) rather than the test targets, so a
 * datastore made anywhere counts: round-trip targets, openDatastore, an app a test starts.
 */
export function recordStatementInventory(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${process.pid}.jsonl`);
  const ledger = new StatementLedger((event) => appendFileSync(file, `${JSON.stringify(event)}\n`));
  // The units of the builder calls (repository methods) a statement runs inside, outermost first.
  const builders = new AsyncLocalStorage<readonly string[]>();
  for (const source of statementSources()) if (!source.accessor) wrap(source, ledger, builders);
  recordExecutions(ledger, builders);
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

function wrap(source: StatementSource, ledger: StatementLedger, builders: AsyncLocalStorage<readonly string[]>): void {
  const original = source.holder[source.method] as Method;
  const excluded = Object.hasOwn(EXCLUDED, source.key);
  const labeler: VariantLabeler | undefined = source.family === 'dialect' ? DIALECT_VARIANTS[source.method] : BUILDER_VARIANTS[source.key];
  const unitsOf = (args: readonly unknown[], result: unknown) => [source.key, ...(labeler?.(args, result) ?? []).map((variant) => `${source.key}#${variant}`)];
  const note = (args: readonly unknown[], result: unknown) => {
    if (excluded) {
      if (holdsStatement(result)) ledger.statementFromExcluded(source.key);
    } else if (typeof result === 'string' && isScript(result)) {
      // A script (db:ddl) runs statement by statement: each is a text, and its kind a variant.
      for (const statement of scriptStatements(result)) ledger.produced([source.key, `${source.key}#${statement.split(/\s+/, 2).join(' ')}`], [statement]);
    } else {
      const texts = textsOf(result);
      if (texts.length > 0) ledger.produced(unitsOf(args, result), texts);
    }
  };
  const recorded: Method = function (...args) {
    const relevant = onOracleFamily(this, args);
    if (source.family === 'dialect' && !relevant) return original.apply(this, args);
    const call = () => original.apply(this, args);
    const result =
      source.family === 'builder' && relevant && !excluded ? builders.run([...(builders.getStore() ?? []), ...unitsOf(args, undefined)], call) : call();
    if (!relevant || isThenable(result)) return result;
    if (isLazyIterable(result)) return noteEach(result, (item) => note(args, item));
    note(args, result);
    return result;
  };
  source.holder[source.method] = recorded;
}

/** Credits what a datastore on H2 ran without error: the texts it held, and the builder calls it ran inside. */
function recordExecutions(ledger: StatementLedger, builders: AsyncLocalStorage<readonly string[]>): void {
  const prototype = Datastore.prototype as unknown as Record<string, unknown>;
  // runBatch runs every statement but cursor reads (its second argument); streamCursor those (its first).
  for (const [name, position] of [
    ['runBatch', 1],
    ['streamCursor', 0],
  ] as const) {
    const original = prototype[name];
    if (typeof original !== 'function') {
      throw new Error(`Datastore.${name} is gone: the statement inventory credits statements there (test/support/statement-inventory/recorder.ts)`);
    }
    prototype[name] = function (this: Datastore, ...args: unknown[]) {
      const result = (original as Method).apply(this, args) as Promise<unknown>;
      if (!onOracleTarget(this)) return result;
      const statement = args[position] as Statement;
      const running = builders.getStore() ?? [];
      return result.then((value) => {
        ledger.statementSucceeded(statement.sql, running);
        return value;
      });
    };
  }
}

const ORACLE_FAMILY = new Set(['oracle', 'tibero']);

/** Whether a call is made for an Oracle-family dialect: on one, or on a repository or with arguments that hold one. */
function onOracleFamily(thisArg: unknown, args: readonly unknown[]): boolean {
  return [thisArg, (thisArg as { executor?: unknown } | undefined)?.executor, ...args].some((holder) => {
    const candidate = holder as { variant?: unknown; dialect?: { variant?: unknown } } | null | undefined;
    return ORACLE_FAMILY.has(String(candidate?.variant)) || ORACLE_FAMILY.has(String(candidate?.dialect?.variant));
  });
}

/** Whether a datastore is on the Oracle-mode target: an Oracle-family dialect, and TEST_ORACLE_ODBC's server and port. */
function onOracleTarget(datastore: Datastore): boolean {
  const target = process.env.TEST_ORACLE_ODBC;
  const connectionString = (datastore as unknown as { options: { connectionString: string } }).options.connectionString;
  return ORACLE_FAMILY.has(datastore.dialect.variant) && target !== undefined && serverOf(connectionString) === serverOf(target);
}

function serverOf(connectionString: string): string {
  const setting = (name: string) => new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*([^;]*)`, 'i').exec(connectionString)?.[1]?.trim() ?? '';
  return `${setting('Server')}:${setting('Port')}`;
}

/** The SQL texts a call returned: strings, statements (`sql`), and those inside arrays and plain objects (not parameters). */
function textsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(textsOf);
  if (value === null || typeof value !== 'object') return [];
  const sql = (value as { sql?: unknown }).sql;
  if (typeof sql === 'string') return [sql];
  if (Object.getPrototypeOf(value) !== Object.prototype) return [];
  return Object.entries(value).flatMap(([name, item]) => (name === 'parameters' || typeof item === 'object' ? statementTexts(item) : textsOf(item)));
}

function isScript(text: string): boolean {
  return text.includes(';\n');
}

function statementTexts(value: unknown): string[] {
  const sql = (value as { sql?: unknown } | null | undefined)?.sql;
  return typeof sql === 'string' ? [sql] : [];
}

function holdsStatement(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsStatement);
  if (value === null || typeof value !== 'object') return false;
  return typeof (value as { sql?: unknown }).sql === 'string' || Object.values(value).some((item) => statementTexts(item).length > 0);
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** A generator (upsertStatements), recorded item by item as it is read. */
function isLazyIterable(value: unknown): value is Iterable<unknown> {
  return Object.prototype.toString.call(value) === '[object Generator]';
}

function* noteEach(items: Iterable<unknown>, note: (item: unknown) => void): Generator<unknown> {
  for (const item of items) {
    note(item);
    yield item;
  }
}
