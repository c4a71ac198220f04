import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DialectName } from '../../../src/config/dialect-name';
import type { Datastore } from '../../../src/datastore/datastore';
import type { SqlValue, TableDefinition } from '../../../src/datastore/types';
import type { FormattedExecutionResult } from 'graphql';
import {
  DatasetDetailsDocument,
  DatasetOutcomesDocument,
  ModelRunResultDocument,
  RegisterDatasetDocument,
  RunAssignmentsDocument,
  StartModelRunDocument,
  UpdateDatasetDocument,
  type DatasetOutcomesQuery,
  type RunAssignmentsQuery,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { embeddedDatastore } from '../../support/databases';
import { createOracleModeSchema, type OracleModeSchema } from '../../support/oracle-mode-schema';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { RoundTripGenerator, ROUND_TRIP_SEED, type GeneratedColumn } from '../../support/round-trip-data';
import { assertRoundTrip, sameValue } from '../../support/round-trip-compare';
import { ROUND_TRIP_TARGETS, type RoundTripTarget } from '../../support/round-trip-targets';
import { createTable, dataOf, registerInput, startInput, updateInput, waitForRun } from '../../support/runs';

/**
 * The round trip end to end, over GraphQL and real HTTP, on the embedded default (SQLite), on
 * PostgreSQL and on the Oracle-mode engine under the Oracle and Tibero dialects (each in a schema of this
 * file's own): a generated table with NULLs, extreme doubles and a
 * composite key of Unicode text, a timestamp and a BIGINT is registered, clustered with
 * publishOutcomes, and every entity's assignment (all pages) and published outcome is compared with
 * the run's own result: its centroids (each entity in its nearest cluster, at that distance), its
 * cluster sizes, and the rows a run drops (those with a NULL feature).
 */
const TABLE = 'rte2e_entities';
const DESCRIBED_TABLE = 'rte2e_described';
const ROWS = 3_100;
const PAGE = 500;
// Features within ±1e100: squared distances stay finite, and k-means can run on every value.
const MAGNITUDE = 1e100;
// How far the test's own arithmetic may be from the server's (another summation order).
const RELATIVE_TOLERANCE = 1e-9;

const KEYS: readonly GeneratedColumn[] = [
  { name: 'region', type: 'string', length: 24, nullable: false },
  { name: 'observed_at', type: 'timestamp', nullable: false },
  { name: 'serial', type: 'bigint', nullable: false },
];
const FEATURES: readonly GeneratedColumn[] = [
  { name: 'f1', type: 'double', nulls: 'random' },
  { name: 'f2', type: 'double', nulls: 'edges' },
  { name: 'f3', type: 'double' },
  { name: 'f4', type: 'double' },
];

interface EndToEndTarget {
  readonly target: RoundTripTarget;
  /** Starts a server on the target; `datastore` is the test's own connection to the same database. */
  readonly start: () => Promise<{ server: TestServer; datastore: Datastore; stop(): Promise<void> }>;
}

const target = (name: string) => ROUND_TRIP_TARGETS.find((candidate) => candidate.name === name)!;

const TARGETS: readonly EndToEndTarget[] = [
  {
    target: target('sqlite'),
    async start() {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-rte2e-'));
      const server = await startTestServer({ DATA_DIR: dataDir, DEMO_DATASETS: 'false' });
      const datastore = embeddedDatastore(dataDir);
      return { server, datastore, stop: async () => (await Promise.allSettled([server.stop(), datastore.close()])).forEach(rethrow) };
    },
  },
  { target: target('postgresql'), start: async () => startInSchema(await createPostgresqlSchema('rte2e'), 'postgresql') },
  { target: target('oracle'), start: async () => startInSchema(await createOracleModeSchema('rte2e_oracle', 'oracle'), 'oracle') },
  { target: target('tibero'), start: async () => startInSchema(await createOracleModeSchema('rte2e_tibero', 'tibero'), 'tibero') },
];

/** A server in a schema of this file's own, dropped when the server stops (or fails to start). */
async function startInSchema(
  schema: Pick<PostgresqlSchema | OracleModeSchema, 'connectionString' | 'datastore' | 'drop'>,
  dialect: DialectName,
): Promise<{ server: TestServer; datastore: Datastore; stop(): Promise<void> }> {
  try {
    const server = await startTestServer({ DB_DIALECT: dialect, DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'false' });
    return {
      server,
      datastore: schema.datastore,
      stop: async () => (await Promise.allSettled([server.stop().finally(() => schema.drop())])).forEach(rethrow),
    };
  } catch (error) {
    await schema.drop();
    throw error;
  }
}

function rethrow(result: PromiseSettledResult<unknown>): void {
  if (result.status === 'rejected') throw result.reason;
}

for (const { target, start } of TARGETS) {
  describe(`round trip end to end over GraphQL on ${target.name}`, () => {
    let running: Awaited<ReturnType<EndToEndTarget['start']>>;

    before(async () => {
      running = await start();
    });
    after(async () => {
      await running?.stop();
    });

    it(`register, cluster and publish ${ROWS} generated rows: every entity's assignment and outcome is the run's own (nearest centroid, its distance), rows with a NULL dropped`, async () => {
      const { server, datastore } = running;
      const rows = generateRows(new RoundTripGenerator(ROUND_TRIP_SEED), datastore.dialect.emptyStringIsNull);
      const definition: TableDefinition = { name: TABLE, columns: [...KEYS, ...FEATURES], primaryKey: KEYS.map((key) => key.name) };
      await createTable(datastore, definition, rows);

      // A name of exactly the 128 characters a name may have, astral ones among them.
      const name = `왕복 😀 ${new RoundTripGenerator(ROUND_TRIP_SEED + 1).text(123)}`;
      const registered = dataOf(
        await server.graphql(RegisterDatasetDocument, {
          input: registerInput({ name, table: TABLE, keyColumns: [...definition.primaryKey], featureColumns: FEATURES.map((feature) => feature.name) }),
        }),
        'registerDataset',
      ).registerDataset;
      assert.equal(registered.name, name);
      const started = dataOf(
        await server.graphql(StartModelRunDocument, {
          input: startInput({ datasetId: registered.id, k: 4, seed: 7, publishOutcomes: true, preparation: { missing: 'DROP', scaling: 'NONE' } }),
        }),
        'startModelRun',
      ).startModelRun;
      const finished = await waitForRun(server, started.id);
      assert.equal(finished.status, 'SUCCEEDED', JSON.stringify(finished.error));
      const run = dataOf(await server.graphql(ModelRunResultDocument, { id: started.id }), 'modelRun').modelRun!;
      const centroids = run.centroids!.map((centroid) => centroid.original);

      const assignments = await allAssignments(server, started.id);
      const outcomes = await allOutcomes(server, registered.id);
      const kept = rows.filter((row) => FEATURES.every((feature) => row[feature.name] !== null));
      assert.ok(kept.length < rows.length && kept.length > rows.length / 2, `${kept.length} of ${rows.length} rows without a NULL feature`);

      // Each kept row's features: its nearest centroid and the distance to it, as the test computes them.
      const nearest = (row: Record<string, SqlValue>) =>
        nearestCentroid(
          FEATURES.map((feature) => row[feature.name] as number),
          centroids,
        );
      assertRoundTrip({
        what: `run ${started.id}'s assignments (all pages of ${PAGE}) on ${target.name}`,
        written: kept,
        read: assignments,
        keyOfWritten: entityKeyOf,
        keyOfRead: (node) => node.entityKey,
        columns: [
          {
            name: 'cluster (the nearest centroid)',
            expected: (row) => nearest(row),
            actual: (node) => node,
            same: (expected, node) => isNearest(expected as Nearest, node as Assignment),
          },
          {
            name: 'distance (to that centroid)',
            expected: (row) => nearest(row),
            actual: (node) => node,
            same: (expected, node) =>
              isClose((expected as Nearest).distances[(node as Assignment).cluster]!, (node as Assignment).distance, (expected as Nearest).scale),
          },
        ],
      });
      assertRoundTrip({
        what: `dataset ${registered.id}'s published outcomes (all pages of ${PAGE}) on ${target.name}`,
        written: assignments,
        read: outcomes,
        keyOfWritten: (node) => node.entityKey,
        keyOfRead: (node) => node.entityKey,
        columns: [
          { name: 'runId', expected: () => started.id, actual: (node) => node.runId },
          { name: 'cluster', expected: (node) => node.cluster, actual: (node) => node.cluster },
          // The assignments come from their packed chunks and the outcomes from the table, each exact (SQLite's REAL read whole).
          { name: 'distance', expected: (node) => node.distance, actual: (node) => node.distance, same: Object.is },
          { name: 'scoredAt', expected: () => run.finishedAt, actual: (node) => node.scoredAt },
        ],
      });
      const sizes = run.centroids!.map((centroid) => assignments.filter((node) => node.cluster === centroid.cluster).length);
      assert.ok(sameValue(run.clusterSizes, sizes), `clusterSizes ${JSON.stringify(run.clusterSizes)}, counted from the assignments ${JSON.stringify(sizes)}`);
    });

    // Oracle and Tibero cannot store '' at all (it is NULL there): every database keeps it as no description.
    it("a description of '' is no description: registered or updated so, it reads back null; ' ' reads back ' '", async () => {
      const { server, datastore } = running;
      const definition: TableDefinition = {
        name: DESCRIBED_TABLE,
        columns: [
          { name: 'id', type: 'integer', nullable: false },
          { name: 'x', type: 'double' },
        ],
        primaryKey: ['id'],
      };
      await createTable(datastore, definition, [
        { id: 1, x: 0.5 },
        { id: 2, x: 1.5 },
      ]);
      const stored = async (id: string) =>
        dataOf(await server.graphql(DatasetDetailsDocument, { id, previewFirst: 1, previewAfter: null }), 'dataset').dataset!.description;
      const input = registerInput({ name: 'described', table: DESCRIBED_TABLE, keyColumns: ['id'], featureColumns: ['x'], description: '' });
      const registered = dataOf(await server.graphql(RegisterDatasetDocument, { input }), 'registerDataset').registerDataset;
      assert.equal(registered.description, null);
      assert.equal(await stored(registered.id), null);
      for (const [given, expected] of [
        [' ', ' '],
        ['', null],
      ] as const) {
        const updated = dataOf(
          await server.graphql(UpdateDatasetDocument, { id: registered.id, input: updateInput({ description: given }) }),
          'updateDataset',
        ).updateDataset;
        assert.equal(updated.description, expected, `updated with ${JSON.stringify(given)}`);
        assert.equal(await stored(registered.id), expected, `read back after an update with ${JSON.stringify(given)}`);
      }
    });
  });
}

interface Assignment {
  readonly entityKey: string;
  readonly cluster: number;
  readonly distance: number;
}

interface Nearest {
  readonly cluster: number;
  readonly distances: number[];
  /** The size of the numbers involved (row and centroid norms): what a distance's rounding error is relative to. */
  readonly scale: number;
}

/**
 * ROWS rows: unique composite keys (Unicode text, a timestamp, a BIGINT), features with NULLs and
 * extremes. `emptyIsNull`: the engine stores '' as NULL, so no region (a NOT NULL key) is ''.
 */
function generateRows(generator: RoundTripGenerator, emptyIsNull: boolean): Record<string, SqlValue>[] {
  const seen = new Set<string>();
  const keys = Array.from({ length: ROWS }, () => {
    for (;;) {
      const region = generator.text(emptyIsNull ? 1 + generator.integer(24) : generator.integer(25));
      const key = { region, observed_at: generator.timestamp(), serial: generator.bigint() };
      if (!seen.has(entityKeyOf(key))) {
        seen.add(entityKeyOf(key));
        return key;
      }
    }
  });
  const features = generator.rows(ROWS, FEATURES, 1_000, () => generator.boundedDouble(MAGNITUDE));
  return keys.map((key, index) => ({ ...key, ...features[index]! }));
}

/** The entity key the server is documented to give a composite key: a JSON array, timestamps in ISO 8601, a BIGINT beyond 2^53 as text. */
function entityKeyOf(row: Record<string, SqlValue>): string {
  return JSON.stringify(
    KEYS.map((key) => {
      const value = row[key.name];
      return value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? value.toString() : value;
    }),
  );
}

function nearestCentroid(features: readonly number[], centroids: readonly (readonly number[])[]): Nearest {
  const norm = (vector: readonly number[]) => Math.hypot(...vector);
  const distances = centroids.map((centroid) => Math.sqrt(centroid.reduce((sum, coordinate, column) => sum + (features[column]! - coordinate) ** 2, 0)));
  return { cluster: distances.indexOf(Math.min(...distances)), distances, scale: norm(features) + Math.max(...centroids.map(norm)) };
}

/** The assigned cluster is the nearest one, or as near as the arithmetic can tell. */
function isNearest(expected: Nearest, actual: Assignment): boolean {
  return (
    actual.cluster === expected.cluster || isClose(expected.distances[expected.cluster]!, expected.distances[actual.cluster] ?? Number.NaN, expected.scale)
  );
}

function isClose(expected: number, actual: number, scale: number): boolean {
  return Math.abs(expected - actual) <= RELATIVE_TOLERANCE * Math.max(scale, Number.MIN_VALUE);
}

async function allAssignments(server: TestServer, runId: string): Promise<Assignment[]> {
  const nodes: Assignment[] = [];
  let after: string | null = null;
  for (;;) {
    const result: FormattedExecutionResult<RunAssignmentsQuery> = await server.graphql(RunAssignmentsDocument, {
      id: runId,
      first: PAGE,
      after,
      cluster: null,
    });
    const page = dataOf(result, 'assignments').modelRun!.assignments;
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor ?? null;
  }
}

async function allOutcomes(
  server: TestServer,
  datasetId: string,
): Promise<{ entityKey: string; runId: string; cluster: number; distance: number; scoredAt: unknown }[]> {
  const nodes: { entityKey: string; runId: string; cluster: number; distance: number; scoredAt: unknown }[] = [];
  let after: string | null = null;
  for (;;) {
    const result: FormattedExecutionResult<DatasetOutcomesQuery> = await server.graphql(DatasetOutcomesDocument, { id: datasetId, first: PAGE, after });
    const page = dataOf(result, 'outcomes').dataset!.outcomes;
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor ?? null;
  }
}
