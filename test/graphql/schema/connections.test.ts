import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse, type FormattedExecutionResult } from 'graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, pollUntil, waitForRun } from '../../support/runs';
import { storedAssignments } from '../../support/assignments';

/**
 * The other connections of a run and a dataset through GraphQL, after a real run on iris (SQLite):
 * totalCount of assignments (whole and of a cluster), outcomes, preview and the trace is the number
 * of items its pages hold, and the rows the tables hold; outcomes paged while new entities' outcomes
 * arrive still give every earlier one once, in key order. And dataset(name:) beside dataset(id:).
 */
interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}
interface Connection<T> {
  readonly totalCount?: number;
  readonly edges: readonly Edge<T>[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}

describe('totalCount and keyset paging of assignments, outcomes, preview and trace; dataset by name', () => {
  let server: TestServer;
  let runId: string;

  const request = <T>(text: string, variables: Record<string, unknown> = {}): Promise<FormattedExecutionResult<T>> =>
    server.graphql<T, Record<string, unknown>>(parse(text), variables);
  const q = (name: string) => server.app.datastore.dialect.quoteIdentifier(name);
  const sqlCount = async (sql: string, parameters: (string | number)[]) =>
    Number((await server.app.datastore.query({ sql: `SELECT COUNT(*) AS ${q('n')} ${sql}`, parameters, kind: 'select' }))[0]!.n);

  /** Every page of a connection, `first` at a time; `between` runs before each page after the first. */
  async function everyPage<T>(read: (after: string | null) => Promise<Connection<T>>, between: () => Promise<void> = () => Promise.resolve()): Promise<T[]> {
    const nodes: T[] = [];
    for (let after: string | null = null; ;) {
      const page: Connection<T> = await read(after);
      nodes.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
      await between();
    }
  }

  before(async () => {
    server = await startTestServer({ TRACE_FLUSH_MS: '20' });
    runId = dataOf(
      await request<{ startModelRun: { id: string } }>('mutation { startModelRun(input: { datasetId: "demo-iris", k: 3, seed: 15 }) { id } }'),
      'start',
    ).startModelRun.id;
    await waitForRun(server, runId);
  });
  after(async () => {
    await server?.stop();
  });

  it('assignments: 150 in all and per cluster as many as the table holds; pages of 40 give them all, once, in key order', async () => {
    interface Answer {
      modelRun: { assignments: Connection<{ entityKey: string; cluster: number }> };
    }
    const page = (cluster: number | null, after: string | null) =>
      request<Answer>(
        'query A($id: ID!, $cluster: Int, $after: String) { modelRun(id: $id) { assignments(cluster: $cluster, first: 40, after: $after) { totalCount edges { cursor node { entityKey cluster } } pageInfo { hasNextPage endCursor } } } }',
        { id: runId, cluster, after },
      ).then((result) => dataOf(result, 'assignments').modelRun.assignments);
    for (const cluster of [null, 0, 1, 2]) {
      const stored = (await storedAssignments(server.app.datastore, runId)).filter((row) => cluster === null || row.cluster === cluster).length;
      assert.equal((await page(cluster, null)).totalCount, stored, `cluster ${String(cluster)}`);
      const nodes = await everyPage((after) => page(cluster, after));
      assert.equal(nodes.length, stored);
      const keys = nodes.map((node) => node.entityKey);
      assert.deepEqual(keys, [...new Set(keys)].sort(), 'each once, in key order');
      assert.ok(cluster === null || nodes.every((node) => node.cluster === cluster));
    }
    assert.equal((await page(null, null)).totalCount, 150);
  });

  it('outcomes: totalCount is the outcome table’s rows of the dataset; entities published between pages do not shift the pages', async () => {
    interface Answer {
      dataset: { outcomes: Connection<{ entityKey: string; runId: string }> };
    }
    const page = (after: string | null) =>
      request<Answer>(
        'query O($after: String) { dataset(name: "iris") { outcomes(first: 25, after: $after) { totalCount edges { cursor node { entityKey runId } } pageInfo { hasNextPage endCursor } } } }',
        { after },
      ).then((result) => dataOf(result, 'outcomes').dataset.outcomes);
    const stored = await sqlCount(`FROM ${q('ai_cluster_outcome')} WHERE ${q('dataset_id')} = ?`, ['demo-iris']);
    assert.equal(stored, 150);
    assert.equal((await page(null)).totalCount, stored);
    const before = (await everyPage(page)).map((node) => node.entityKey);
    // Outcomes of entities new to the table, written between pages with keys that sort first (as a publish of new rows would).
    let arrived = 0;
    const arrive = async () => {
      const key = `!new-${String(arrived++).padStart(2, '0')}`;
      await server.app.datastore.execute({
        sql: `INSERT INTO ${q('ai_cluster_outcome')} (${['dataset_id', 'entity_key', 'run_id', 'cluster', 'distance', 'scored_at'].map(q).join(', ')}) VALUES (?, ?, ?, ?, ?, ?)`,
        parameters: ['demo-iris', key, runId, 0, 0.5, new Date()],
        kind: 'insert',
      });
    };
    const during = (await everyPage(page, arrive)).map((node) => node.entityKey);
    assert.ok(arrived > 3);
    assert.deepEqual(
      during.filter((key) => !key.startsWith('!new-')),
      before,
    );
    assert.equal((await page(null)).totalCount, stored + arrived);
  });

  it('preview: totalCount is the table’s rows, as rowCount says', async () => {
    interface Answer {
      dataset: { rowCount: number; preview: Connection<unknown> };
    }
    const answer = dataOf(
      await request<Answer>('{ dataset(name: "iris") { rowCount preview(first: 1) { totalCount edges { cursor } pageInfo { hasNextPage endCursor } } } }'),
      'preview',
    );
    assert.deepEqual([answer.dataset.preview.totalCount, answer.dataset.rowCount], [150, 150]);
  });

  it('trace: totalCount is the number of documents its pages hold, with and without actions, none for an empty list', async () => {
    interface Answer {
      modelRun: { trace: Connection<{ id: string; action: string }> };
    }
    const page = (actions: string[] | null, after: string | null) =>
      request<Answer>(
        'query T($id: ID!, $actions: [TraceAction!], $after: String) { modelRun(id: $id) { trace(actions: $actions, first: 50, after: $after) { totalCount edges { cursor node { id action } } pageInfo { hasNextPage endCursor } } } }',
        { id: runId, actions, after },
      ).then((result) => dataOf(result, 'trace').modelRun.trace);
    await pollUntil(
      () => page(['OUTCOMES_PUBLISHED'], null),
      (trace) => trace.totalCount === 1,
      'the run’s last trace document',
    );
    const every = await everyPage((after) => page(null, after));
    assert.equal((await page(null, null)).totalCount, every.length);
    const iterations = every.filter((node) => node.action === 'ITERATION').length;
    assert.ok(iterations > 0);
    assert.equal((await page(['ITERATION'], null)).totalCount, iterations);
    // An empty list matches none, as modelRuns(filter: { statuses: [] }) does (it read every document).
    const none = await page([], null);
    assert.deepEqual([none.totalCount, none.edges, none.pageInfo.hasNextPage], [0, [], false]);
  });

  it('dataset(name:) finds iris; dataset(id:) finds it by its id; neither or both is BAD_USER_INPUT; an unknown name is null', async () => {
    interface Answer {
      dataset: { id: string; name: string } | null;
    }
    const lookup = (args: string) => request<Answer>(`{ dataset${args} { id name } }`);
    assert.deepEqual(dataOf(await lookup('(name: "iris")'), 'by name').dataset, { id: 'demo-iris', name: 'iris' });
    assert.deepEqual(dataOf(await lookup('(name: "  iris ")'), 'by name, spaces around').dataset, { id: 'demo-iris', name: 'iris' });
    assert.deepEqual(dataOf(await lookup('(id: "demo-iris")'), 'by id').dataset, { id: 'demo-iris', name: 'iris' });
    assert.equal(dataOf(await lookup('(name: "Iris")'), 'another name').dataset, null);
    assert.equal(dataOf(await lookup('(id: "iris")'), 'a name given as id').dataset, null);
    for (const [what, args, field] of [
      ['neither', '', 'id'],
      ['both', '(id: "demo-iris", name: "iris")', 'name'],
    ] as const) {
      const result = await lookup(args);
      assert.deepEqual(
        result.errors?.map((error) => [error.extensions?.code, error.extensions?.field, error.message]),
        [['BAD_USER_INPUT', field, 'Give exactly one of id and name']],
        what,
      );
    }
  });
});
