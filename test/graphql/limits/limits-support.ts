import assert from 'node:assert/strict';
import type { Datastore } from '../../../src/datastore/datastore';
import type { TestServer } from '../../support/app-harness';

/** Shared helpers for the query-limit and hostile-input tests (test/graphql/limits/). */

export interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

/** An HTTP answer to /graphql; `TData` is what the request's selection answers, as the caller declares it. */
export interface RawResponse<TData = unknown> {
  status: number;
  contentType: string;
  text: string;
  body: { data?: TData | null; errors?: GraphqlError[] } | null;
}

/** POSTs exactly these bytes to /graphql (as the harness's admin unless `headers` say otherwise). */
export async function postRaw<TData = unknown>(server: TestServer, body: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse<TData>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(server.adminKey ? { authorization: `Bearer ${server.adminKey}` } : {}), ...headers },
    body,
  });
  const text = await response.text();
  let parsed: RawResponse<TData>['body'] = null;
  try {
    parsed = JSON.parse(text) as RawResponse<TData>['body'];
  } catch {
    // not JSON: left null for the assertion to report
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, body: parsed };
}

/** A query string with variables, as a client would send it. */
export function gql<TData = unknown>(
  server: TestServer,
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<RawResponse<TData>> {
  return postRaw<TData>(server, JSON.stringify({ query, variables }), headers);
}

/** The response's single error: asserts its code (and message) and returns it. */
export function onlyError(response: RawResponse, code: string, message?: RegExp): GraphqlError {
  assert.ok(response.body, `a JSON body, got ${response.status} ${response.text.slice(0, 300)}`);
  const errors = response.body.errors ?? [];
  assert.equal(errors.length, 1, `one error, got ${JSON.stringify(response.body).slice(0, 600)}`);
  assert.equal(errors[0]!.extensions?.code, code, JSON.stringify(errors[0]).slice(0, 600));
  if (message) assert.match(errors[0]!.message, message);
  return errors[0]!;
}

/** Every table of the SQLite database and its row count, by plain SQL. */
export async function databaseSnapshot(datastore: Datastore): Promise<Record<string, number>> {
  const tables = await datastore.query({ sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", parameters: [], kind: 'catalog' });
  const snapshot: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await datastore.query({
      sql: `SELECT COUNT(*) AS n FROM ${datastore.dialect.quoteIdentifier(String(name))}`,
      parameters: [],
      kind: 'select',
    });
    snapshot[String(name)] = Number(row!.n);
  }
  return snapshot;
}
