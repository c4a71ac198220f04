/**
 * A run stored before migration 7 (one row per entity in ai_run_assignment) and a run stored now (packed
 * chunks) with the same assignments answer the same through GraphQL: every page of ModelRun.assignments,
 * with and without a cluster, and the outcome rows publishRunOutcomes writes from each.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { AssignmentRepository } from '../../../src/modules/run/assignment.repository';
import { RunRepository } from '../../../src/modules/run/run.repository';
import {
  PublishRunOutcomesDocument,
  RegisterDatasetDocument,
  RunAssignmentsDocument,
  StartModelRunDocument,
  type RunAssignmentsQuery,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { storedAssignments } from '../../support/assignments';
import { embeddedDatastore } from '../../support/databases';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { createTable, dataOf, readOutcomeTable, registerInput, runRecord, startInput, waitForRun } from '../../support/runs';
import { SeededRandom } from '../../../src/shared/seeded-random';

const TABLE = 'as_points';
const ROWS = 600;
// Keys whose code point order differs from UTF-16's (U+FFFF against astral characters), combining marks, JSON-like text.
const KEY_STEMS = ['😀', '\uFFFF', '𝒜x', 'e\u0301', '한국', 'A', 'a', '["k",1]', 'Z', '\u00e9'];

interface Node {
  readonly entityKey: string;
  readonly cluster: number;
  readonly distance: number;
}

for (const target of [
  { label: 'SQLite', postgresql: false },
  { label: 'PostgreSQL', postgresql: true },
]) {
  describe(`a run stored as rows and one stored as chunks, through GraphQL on ${target.label}`, () => {
    let server: TestServer;
    let datastore: Datastore;
    let schema: PostgresqlSchema | undefined;
    let newRun: string;
    let oldRun: string;
    let datasetId: string;

    before(async () => {
      if (target.postgresql) {
        schema = await createPostgresqlSchema('assignment_storage');
        datastore = schema.datastore;
        server = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString });
      } else {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-assignment-storage-'));
        server = await startTestServer({ DATA_DIR: dataDir });
        datastore = embeddedDatastore(dataDir);
      }
      const random = new SeededRandom(16);
      await createTable(
        datastore,
        {
          name: TABLE,
          columns: [
            { name: 'name', type: 'string', length: 64, nullable: false },
            { name: 'f1', type: 'double' },
            { name: 'f2', type: 'double' },
          ],
          primaryKey: ['name'],
        },
        Array.from({ length: ROWS }, (_, index) => ({ name: `${KEY_STEMS[index % KEY_STEMS.length]!}-${index}`, f1: random.next() * 10, f2: random.next() })),
      );
      datasetId = dataOf(
        await server.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: 'storage', table: TABLE, keyColumns: ['name'], featureColumns: ['f1', 'f2'] }),
        }),
        'register',
      ).registerDataset.id;
      newRun = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, k: 3, seed: 5 }) }), 'start').startModelRun.id;
      assert.equal((await waitForRun(server, newRun)).status, 'SUCCEEDED');
      // The same run as a server before migration 7 stored it: its record, and its assignments one row per entity.
      const runs = new RunRepository(datastore);
      const [stored] = await runs.findByIds([newRun]);
      const old = runRecord(datasetId, { status: 'SUCCEEDED', startedAt: stored!.startedAt, finishedAt: stored!.finishedAt, params: stored!.params });
      await runs.insert(old);
      oldRun = old.id;
      const assignments = await storedAssignments(datastore, newRun);
      assert.equal(assignments.length, ROWS);
      await datastore.transaction((transaction) => new AssignmentRepository(datastore).saveRows(oldRun, assignments, transaction));
    });
    after(async () => {
      await server?.stop();
      if (schema) await schema.drop();
      else await datastore?.close();
    });

    async function everyNode(runId: string, cluster: number | null): Promise<Node[]> {
      const nodes: Node[] = [];
      for (let after: string | null = null; ;) {
        const page: NonNullable<RunAssignmentsQuery['modelRun']>['assignments'] = dataOf(
          await server.graphql(RunAssignmentsDocument, { id: runId, first: 37, after, cluster }),
          'assignments',
        ).modelRun!.assignments;
        nodes.push(...page.edges.map((edge) => edge.node));
        if (!page.pageInfo.hasNextPage) return nodes;
        after = page.pageInfo.endCursor;
      }
    }

    it('a cursor of one run’s assignments is refused on another run’s (the same keys): BAD_USER_INPUT on after', async () => {
      const first = dataOf(await server.graphql(RunAssignmentsDocument, { id: oldRun, first: 2, after: null, cluster: null }), 'first page');
      const cursor = first.modelRun!.assignments.pageInfo.endCursor!;
      const answer = await server.graphql(RunAssignmentsDocument, { id: newRun, first: 2, after: cursor, cluster: null });
      assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(answer.errors));
      assert.equal(answer.errors[0].extensions?.field, 'after');
      // On its own run it goes on.
      const next = dataOf(await server.graphql(RunAssignmentsDocument, { id: oldRun, first: 2, after: cursor, cluster: null }), 'next page');
      assert.equal(next.modelRun!.assignments.edges.length, 2);
    });

    it('ModelRun.assignments: every page of 37, of every cluster and of each, the same keys in the same order, clusters and distances equal', async () => {
      for (const cluster of [null, 0, 1, 2]) {
        const fromRows = await everyNode(oldRun, cluster);
        const fromChunks = await everyNode(newRun, cluster);
        const what = `cluster ${String(cluster)}`;
        assert.ok(fromRows.length > 0, what);
        assert.deepEqual(
          fromChunks.map((node) => [node.entityKey, node.cluster]),
          fromRows.map((node) => [node.entityKey, node.cluster]),
          what,
        );
        fromChunks.forEach((node, index) => assert.ok(Object.is(node.distance, fromRows[index]!.distance), `${what}, ${node.entityKey}: ${node.distance}`));
      }
    });

    it('publishRunOutcomes of the old run and of the new run write the same outcome rows but for the run id', async () => {
      dataOf(await server.graphql(PublishRunOutcomesDocument, { runId: oldRun }), 'publish the old run');
      const fromRows = await readOutcomeTable(datastore, datasetId);
      dataOf(await server.graphql(PublishRunOutcomesDocument, { runId: newRun }), 'publish the new run');
      const fromChunks = await readOutcomeTable(datastore, datasetId);
      assert.equal(fromRows.length, ROWS);
      assert.deepEqual(
        fromChunks,
        fromRows.map((row) => ({ ...row, runId: newRun })),
      );
    });
  });
}
