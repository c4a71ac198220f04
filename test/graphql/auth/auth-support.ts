import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type FormattedExecutionResult } from 'graphql';
import type { Datastore } from '../../../src/datastore/datastore';
import { CreateApiKeyDocument, DatasetsDocument, type ApiKeyFieldsFragment, type Role } from '../../generated/graphql';
import type { TestServer } from '../../support/app-harness';
import { dataOf } from '../../support/runs';

/** Helpers shared by the authentication tests (test/graphql/auth/). */

/** Sends no credentials at all: the harness's default admin key is overridden by an empty header. */
export const ANONYMOUS: Record<string, string> = { authorization: '' };

export function bearer(credential: string): Record<string, string> {
  return { authorization: `Bearer ${credential}` };
}

/** One GraphQL POST over real HTTP, with the HTTP status (the harness returns only the body). */
export async function post<TResult, TVariables>(
  server: Pick<TestServer, 'url'>,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  headers: Record<string, string>,
): Promise<{ status: number; body: FormattedExecutionResult<TResult> }> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return { status: response.status, body: (await response.json()) as FormattedExecutionResult<TResult> };
}

/** The request was refused as a whole: HTTP 401, one UNAUTHENTICATED error, no data. */
export function assertUnauthenticated(answer: { status: number; body: FormattedExecutionResult<unknown> }, what: string): void {
  assert.equal(answer.status, 401, `${what}: HTTP status; body ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.errors?.length, 1, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.errors[0]!.extensions?.code, 'UNAUTHENTICATED', `${what}: ${JSON.stringify(answer.body.errors)}`);
  assert.equal(answer.body.data ?? null, null, `${what}: no data`);
}

/** FORBIDDEN naming the role the operation needs, and no data for the refused field. */
export function assertForbidden(result: FormattedExecutionResult<unknown>, requiredRole: string, what: string): void {
  assert.ok(result.errors?.length === 1, `${what}: expected FORBIDDEN, got ${JSON.stringify(result)}`);
  const [error] = result.errors;
  assert.equal(error!.extensions?.code, 'FORBIDDEN', `${what}: ${JSON.stringify(result.errors)}`);
  assert.equal(error!.extensions?.requiredRole, requiredRole, `${what}: ${JSON.stringify(result.errors)}`);
  assert.equal(result.data ?? null, null, `${what}: no data`);
}

/** Creates a key through the createApiKey mutation (as the harness's admin). */
export async function createKey(server: TestServer, name: string, role: Role): Promise<{ key: string; apiKey: ApiKeyFieldsFragment }> {
  return dataOf(await server.graphql(CreateApiKeyDocument, { name, role }), `createApiKey ${name}`).createApiKey;
}

/** How many rows a table has, by plain SQL. */
export async function countRows(datastore: Datastore, table: string): Promise<number> {
  const [row] = await datastore.query({ sql: `SELECT COUNT(*) AS n FROM ${datastore.dialect.quoteIdentifier(table)}`, parameters: [], kind: 'select' });
  return Number(row?.n ?? 0);
}

/** The id of a demo dataset (iris or station_readings) on the embedded default. */
export async function datasetId(server: TestServer, name: string): Promise<string> {
  const dataset = dataOf(await server.graphql(DatasetsDocument), 'datasets').datasets.find((candidate) => candidate.name === name);
  assert.ok(dataset, `no dataset ${name}`);
  return dataset.id;
}
