import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse, type FormattedExecutionResult } from 'graphql';
import type { ModelRunRecord, RunStatus } from '../../../src/modules/run/run.record';
import { RunRepository, type RunOrder } from '../../../src/modules/run/run.repository';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { dataOf, runRecord, expectedRunOrder } from '../../support/runs';

/**
 * modelRuns through GraphQL over HTTP while runs arrive between pages, on the embedded SQLite and on
 * PostgreSQL (every dialect's SQL runs in test/integration/roundtrip/run-keyset-paging.test.ts): every
 * run there before the first page is seen exactly once and in order, in each order ModelRunOrder
 * allows; totalCount is the number of runs the filter matches, value by value; a cursor that is not
 * one of the list's is BAD_USER_INPUT.
 */
const DATASET = 'ds-gql-keyset';
const BASE = Date.UTC(2026, 2, 1, 9, 0, 0, 0);

interface RunsAnswer {
  readonly modelRuns: {
    readonly totalCount?: number;
    readonly edges: readonly { readonly cursor: string; readonly node: { readonly id: string } }[];
    readonly pageInfo: { readonly hasNextPage: boolean; readonly hasPreviousPage: boolean; readonly endCursor: string | null };
  };
}

const RUNS_PAGE = parse(`
  query RunsPage($filter: ModelRunFilter, $orderBy: ModelRunOrder, $first: Int, $after: String) {
    modelRuns(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
`);
const RUNS_COUNT = parse(`
  query RunsCount($filter: ModelRunFilter) { modelRuns(filter: $filter, first: 0) { totalCount edges { cursor } } }
`);

// Unfinished runs are RUNNING on another replica that beats (RUN_HEARTBEAT_MS is long): this server never claims or requeues them.
const ELSEWHERE = { status: 'RUNNING', owner: 'another-replica', heartbeatAt: new Date() } as const;

/** 11 runs: created_at tied in pairs, finished_at NULL for every third; their ids are not in creation order. */
function existingRuns(): ModelRunRecord[] {
  const statuses: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
  return Array.from({ length: 11 }, (_, index) =>
    runRecord(DATASET, {
      id: `gql-run-${String((index * 4) % 11).padStart(2, '0')}`,
      ...(index % 3 === 0 ? ELSEWHERE : { status: statuses[index % 3]! }),
      createdAt: new Date(BASE + Math.floor(index / 2) * 1_000 + 1),
      finishedAt: index % 3 === 0 ? null : new Date(BASE + 60_000 + (index % 4) * 500),
    }),
  );
}

const TARGETS = [
  { label: 'SQLite', postgresql: false },
  { label: 'PostgreSQL', postgresql: true },
] as const;

for (const target of TARGETS) {
  describe(`modelRuns paged by keyset cursors through GraphQL, ${target.label}`, () => {
    let server: TestServer;
    let schema: PostgresqlSchema | undefined;
    let existing: ModelRunRecord[];
    let arrivals = 0;

    const request = <T>(document: ReturnType<typeof parse>, variables: Record<string, unknown>): Promise<FormattedExecutionResult<T>> =>
      server.graphql<T, Record<string, unknown>>(document, variables);

    /** A run created now: the newest of all, not finished. */
    const arrive = () =>
      new RunRepository(server.app.datastore).insert(
        runRecord(DATASET, { ...ELSEWHERE, id: `gql-new-${target.label}-${arrivals++}`, createdAt: new Date(BASE + 3_600_000 + arrivals) }),
      );

    before(async () => {
      if (target.postgresql) {
        schema = await createPostgresqlSchema('gql_keyset');
        server = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString, RUN_HEARTBEAT_MS: '600000' });
      } else {
        server = await startTestServer({ RUN_HEARTBEAT_MS: '600000' });
      }
      existing = existingRuns();
      for (const run of existing) await new RunRepository(server.app.datastore).insert(run);
    });
    after(async () => {
      await server?.stop();
      await schema?.drop();
    });

    const orders: readonly (RunOrder | null)[] = [
      null,
      { field: 'CREATED_AT', direction: 'ASC' },
      { field: 'FINISHED_AT', direction: 'DESC' },
      { field: 'FINISHED_AT', direction: 'ASC' },
    ];
    for (const orderBy of orders) {
      it(`orderBy ${orderBy ? `${orderBy.field} ${orderBy.direction}` : 'omitted (newest first)'}, 2 a page, a run arriving before each page: every earlier run once, in order`, async () => {
        const existingIds = new Set(existing.map((run) => run.id));
        const seen: string[] = [];
        let after: string | null = null;
        for (let pageNumber = 0; ; pageNumber++) {
          await arrive();
          const answer: RunsAnswer = dataOf(await request<RunsAnswer>(RUNS_PAGE, { filter: { datasetIds: [DATASET] }, orderBy, first: 2, after }), 'modelRuns');
          seen.push(...answer.modelRuns.edges.map((edge) => edge.node.id));
          assert.equal(answer.modelRuns.pageInfo.hasPreviousPage, pageNumber > 0);
          if (!answer.modelRuns.pageInfo.hasNextPage) break;
          after = answer.modelRuns.pageInfo.endCursor;
        }
        assert.equal(new Set(seen).size, seen.length, `no run twice: ${seen.join(', ')}`);
        assert.deepEqual(
          seen.filter((id) => existingIds.has(id)),
          expectedRunOrder(existing, orderBy ?? { field: 'CREATED_AT', direction: 'DESC' }),
        );
      });
    }

    it('totalCount is the number of runs each filter matches, counted by the database', async () => {
      const ofDataset = async () => {
        const rows = await server.app.datastore.query({
          sql: `SELECT ${['id', 'status', 'created_at'].map((name) => server.app.datastore.dialect.quoteIdentifier(name)).join(', ')} FROM ${server.app.datastore.dialect.quoteIdentifier('ai_model_run')} WHERE ${server.app.datastore.dialect.quoteIdentifier('dataset_id')} = ?`,
          parameters: [DATASET],
          kind: 'select',
        });
        return rows.map((row) => ({ id: String(row.id), status: String(row.status), createdAt: row.created_at as Date }));
      };
      const stored = await ofDataset();
      const cutoff = new Date(BASE + 2_000 + 1);
      const cases: readonly [Record<string, unknown>, number][] = [
        [{ datasetIds: [DATASET] }, stored.length],
        [{ datasetIds: [DATASET], statuses: ['RUNNING'] }, stored.filter((run) => run.status === 'RUNNING').length],
        [{ datasetIds: [DATASET], statuses: ['SUCCEEDED', 'FAILED'] }, stored.filter((run) => run.status === 'SUCCEEDED' || run.status === 'FAILED').length],
        [{ datasetIds: [DATASET], createdBefore: cutoff.toISOString() }, stored.filter((run) => run.createdAt < cutoff).length],
        [{ datasetIds: ['no-such-dataset'] }, 0],
        // An empty list is a condition no run meets, not a filter left out.
        [{ statuses: [] }, 0],
        [{ datasetIds: [] }, 0],
        [{ datasetIds: [DATASET], statuses: [] }, 0],
      ];
      for (const [filter, expected] of cases) {
        const answer = dataOf(await request<RunsAnswer>(RUNS_COUNT, { filter }), 'totalCount');
        assert.equal(answer.modelRuns.totalCount, expected, JSON.stringify(filter));
        assert.deepEqual(answer.modelRuns.edges, [], 'first: 0 reads no run, the count still counts them all');
      }
      assert.ok(stored.some((run) => run.status === 'RUNNING') && stored.some((run) => run.createdAt >= cutoff), 'the filters split the runs');
      const emptyList: RunsAnswer = dataOf(await request<RunsAnswer>(RUNS_PAGE, { filter: { statuses: [] }, first: 50 }), 'modelRuns');
      assert.deepEqual(emptyList.modelRuns.edges, [], 'a page of runs in none of no statuses');
      assert.equal(emptyList.modelRuns.pageInfo.hasNextPage, false);
    });

    it('an after cursor that is not one of this list and order is BAD_USER_INPUT naming after', async () => {
      const first = dataOf(await request<RunsAnswer>(RUNS_PAGE, { filter: { datasetIds: [DATASET] }, first: 1 }), 'first page');
      const newestFirstCursor = first.modelRuns.pageInfo.endCursor!;
      const offsetCursor = Buffer.from('offset:3').toString('base64url');
      for (const [what, variables] of [
        ['a newest-first cursor under FINISHED_AT ASC', { orderBy: { field: 'FINISHED_AT', direction: 'ASC' }, after: newestFirstCursor }],
        ['an offset cursor of an earlier server', { after: offsetCursor }],
        ['text that is no cursor', { after: 'page-2' }],
      ] as const) {
        const result = await request<RunsAnswer>(RUNS_PAGE, { first: 2, ...variables });
        assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${what}: ${JSON.stringify(result.errors)}`);
        assert.equal(result.errors?.[0]?.extensions?.field, 'after', what);
        assert.match(result.errors[0].message, /is not a cursor this server gave out/, what);
      }
    });
  });
}
