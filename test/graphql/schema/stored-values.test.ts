import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, type FormattedExecutionResult } from 'graphql';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { runFile } from '../../../src/telemetry/trace-files';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, runRecord } from '../../support/runs';

/**
 * Enum fields over values stored before the lists changed (a row or trace document of another
 * version), written straight into the database and the trace files: the query answers, with
 * UNKNOWN, null or INTERNAL_SERVER_ERROR in their place; and the error a client gets for a value
 * outside an enum. On the embedded SQLite.
 */
const RUN_ID = 'a5d4c3b2-0000-4000-8000-000000000015';

describe('enum fields over stored values outside their lists, and enum input a client gets wrong', () => {
  let server: TestServer;
  let traceDirectory: string;

  const request = <T>(text: string, variables: Record<string, unknown> = {}): Promise<FormattedExecutionResult<T>> =>
    server.graphql<T, Record<string, unknown>>(parse(text), variables);
  const q = (name: string) => server.app.datastore.dialect.quoteIdentifier(name);
  const update = (table: string, column: string, value: string, id: string) =>
    server.app.datastore.execute({ sql: `UPDATE ${q(table)} SET ${q(column)} = ? WHERE ${q('id')} = ?`, parameters: [value, id], kind: 'update' });

  before(async () => {
    traceDirectory = mkdtempSync(path.join(tmpdir(), 'aimodel-stored-values-'));
    server = await startTestServer({ TRACE_DIR: traceDirectory });
    await new RunRepository(server.app.datastore).insert(
      runRecord('demo-iris', {
        id: RUN_ID,
        status: 'FAILED',
        startedAt: new Date('2026-04-01T10:00:00.000Z'),
        finishedAt: new Date('2026-04-01T10:00:02.250Z'),
        kSelection: { rule: 'MAX_SILHOUETTE', chosenK: 2, maxCappedByRows: false, scores: [] },
        error: { code: 'EMPTY_INPUT', message: 'no rows' },
        publishError: { code: 'DB_ERROR', message: 'stored', at: new Date('2026-04-01T10:00:03.000Z') },
      }),
    );
  });
  after(async () => {
    await server?.stop();
  });

  it('an API key stored with a role this server does not know lists as UNKNOWN; the other keys list as before', async () => {
    const created = dataOf(
      await request<{ createApiKey: { apiKey: { id: string } } }>('mutation { createApiKey(name: "from the future", role: OPERATOR) { apiKey { id } } }'),
      'createApiKey',
    ).createApiKey.apiKey;
    await update('ai_api_key', 'role', 'superuser', created.id);
    const keys = dataOf(await request<{ apiKeys: { id: string; name: string; role: string }[] }>('{ apiKeys { id name role } }'), 'apiKeys').apiKeys;
    assert.deepEqual(
      keys.map((key) => [key.name, key.role]),
      [
        ['test harness admin', 'ADMIN'],
        ['from the future', 'UNKNOWN'],
      ],
    );
  });

  it('a run stored with a k-selection rule, an error code and a publish error code this server does not know: UNKNOWN, INTERNAL_SERVER_ERROR', async () => {
    const runFields = '{ modelRun(id: "' + RUN_ID + '") { kSelection { rule chosenK } error { code message } publishError { code message } } }';
    interface Answer {
      modelRun: { kSelection: { rule: string; chosenK: number }; error: { code: string; message: string }; publishError: { code: string; message: string } };
    }
    const known = dataOf(await request<Answer>(runFields), 'known values').modelRun;
    assert.deepEqual(known, {
      kSelection: { rule: 'MAX_SILHOUETTE', chosenK: 2 },
      error: { code: 'EMPTY_INPUT', message: 'no rows' },
      publishError: { code: 'DB_ERROR', message: 'stored' },
    });
    await update('ai_model_run', 'k_selection', JSON.stringify({ rule: 'ELBOW', chosenK: 2, maxCappedByRows: false, scores: [] }), RUN_ID);
    await update('ai_model_run', 'error_code', 'RETIRED_CODE', RUN_ID);
    await update('ai_model_run', 'publish_error_code', 'RETIRED_CODE', RUN_ID);
    const unknown = dataOf(await request<Answer>(runFields), 'unknown values').modelRun;
    assert.deepEqual(unknown, {
      kSelection: { rule: 'UNKNOWN', chosenK: 2 },
      // A code the catalogue lacks is served as an internal error, its stored message with it (servedFailure).
      error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' },
      publishError: { code: 'INTERNAL_SERVER_ERROR', message: 'stored' },
    });
  });

  it('trace documents with an action and an outcome this server does not know: action UNKNOWN, outcome null; the known ones as enums; durations in ms and ns agree', async () => {
    const document = (id: string, action: string, outcome: string | undefined, duration: number | undefined, sequence: number) => ({
      _id: id,
      _target: 'events',
      '@timestamp': new Date(Date.UTC(2026, 3, 1, 10, 0, sequence)).toISOString(),
      event: { kind: 'event', category: ['process'], type: ['info'], action, sequence, ...(outcome ? { outcome } : {}), ...(duration ? { duration } : {}) },
      service: { name: 'aimodel', version: 'next' },
      trace: { id: RUN_ID },
    });
    const file = runFile(traceDirectory, RUN_ID)!;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      [
        document('doc-1', 'run-started', undefined, undefined, 0),
        document('doc-2', 'run-teleported', 'maybe', 2_500_000, 1),
        document('doc-3', 'run-failed', 'failure', 2_250_000_000, 2),
      ]
        .map((line) => JSON.stringify(line))
        .join('\n') + '\n',
    );
    interface Trace {
      modelRun: {
        trace: {
          totalCount: number;
          edges: { node: { id: string; action: string; outcome: string | null; durationMs: number | null; durationNs: number | null } }[];
        };
      };
    }
    const trace = dataOf(
      await request<Trace>(`{ modelRun(id: "${RUN_ID}") { trace { totalCount edges { node { id action outcome durationMs durationNs } } } } }`),
      'trace',
    ).modelRun.trace;
    assert.deepEqual(
      trace.edges.map((edge) => edge.node),
      [
        { id: 'doc-1', action: 'RUN_STARTED', outcome: null, durationMs: null, durationNs: null },
        { id: 'doc-2', action: 'UNKNOWN', outcome: null, durationMs: 2.5, durationNs: 2_500_000 },
        { id: 'doc-3', action: 'RUN_FAILED', outcome: 'FAILURE', durationMs: 2_250, durationNs: 2_250_000_000 },
      ],
    );
    assert.equal(trace.totalCount, 3);
    const failedOnly = dataOf(
      await request<Trace>(`{ modelRun(id: "${RUN_ID}") { trace(actions: [RUN_FAILED]) { totalCount edges { node { id } } } } }`),
      'RUN_FAILED',
    );
    assert.deepEqual([failedOnly.modelRun.trace.totalCount, failedOnly.modelRun.trace.edges.map((edge) => edge.node.id)], [1, ['doc-3']]);
    const byUnknown = await request<Trace>(`{ modelRun(id: "${RUN_ID}") { trace(actions: [UNKNOWN]) { edges { node { id } } } } }`);
    assert.equal(byUnknown.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(byUnknown.errors));
    assert.equal(byUnknown.errors?.[0]?.extensions?.field, 'actions');
  });

  it('ModelRun.durationMs is finishedAt − startedAt in milliseconds', async () => {
    const run = dataOf(
      await request<{ modelRun: { durationMs: number; startedAt: string; finishedAt: string } }>(
        `{ modelRun(id: "${RUN_ID}") { durationMs startedAt finishedAt } }`,
      ),
      'run',
    ).modelRun;
    assert.deepEqual([run.durationMs, Date.parse(run.finishedAt) - Date.parse(run.startedAt)], [2_250, 2_250]);
  });

  it('a value outside an enum is refused before anything runs, naming the enum and, for a near miss, the value meant', async () => {
    // A literal fails validation; a variable fails coercion: Apollo's codes for each.
    const cases: readonly [string, string, Record<string, unknown>, string, string][] = [
      [
        'a lower-case role literal',
        'mutation { createApiKey(name: "x", role: viewer) { key } }',
        {},
        'Value "viewer" does not exist in "Role" enum. Did you mean the enum value "VIEWER"?',
        'GRAPHQL_VALIDATION_FAILED',
      ],
      [
        'a role as a string literal',
        'mutation { createApiKey(name: "x", role: "admin") { key } }',
        {},
        'Enum "Role" cannot represent non-enum value: "admin". Did you mean the enum value "ADMIN"?',
        'GRAPHQL_VALIDATION_FAILED',
      ],
      [
        'a trace action as the event.action text, in a variable',
        `query Trace($actions: [TraceAction!]) { modelRun(id: "${RUN_ID}") { trace(actions: $actions) { edges { node { id } } } } }`,
        { actions: ['run-failed'] },
        'Variable "$actions" got invalid value "run-failed" at "actions[0]"; Value "run-failed" does not exist in "TraceAction" enum. Did you mean the enum value "RUN_FAILED", "RUN_CLAIMED", or "RUN_STARTED"?',
        'BAD_USER_INPUT',
      ],
    ];
    for (const [what, text, variables, message, code] of cases) {
      const result = await request(text, variables);
      assert.equal(result.data, undefined, what);
      assert.deepEqual(
        result.errors?.map((error) => error.message),
        [message],
        what,
      );
      assert.equal(result.errors?.[0]?.extensions?.code, code, what);
    }
    const keys = dataOf(await request<{ apiKeys: { name: string }[] }>('{ apiKeys { name } }'), 'apiKeys').apiKeys;
    assert.ok(!keys.some((key) => key.name === 'x'), 'no key was created');
  });
});
