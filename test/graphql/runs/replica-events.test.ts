import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { ModelRunPublishUpdatesDocument, RegisterDatasetDocument, StartModelRunDocument, type RunSummaryFragment } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { connectGraphqlWs, untilServerEnds } from '../../support/graphql-ws';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from '../../support/redis';
import { createNoiseTable, dataOf, registerInput, runState, startInput, waitForRun } from '../../support/runs';

/**
 * modelRunUpdated across replicas: a run executing on server A, a subscriber on server B (one
 * PostgreSQL database), once through Redis and once through B's polling of the rows. B sees the run's
 * states to its terminal one, which ends the subscription, and that last event is the run as stored.
 */
for (const transport of ['redis', 'polling'] as const) {
  describe(`PostgreSQL, two servers, ${transport === 'redis' ? 'REDIS_URL set' : 'no Redis (RUN_EVENTS_POLL_MS=200)'}: a subscriber on B follows a run executing on A`, () => {
    const prefix = uniqueRedisPrefix('replica-events');
    const env = (schema: PostgresqlSchema) => ({
      DB_DIALECT: 'postgresql',
      DB_CONNECTION_STRING: schema.connectionString,
      RUN_CONCURRENCY: '1',
      RUN_HEARTBEAT_MS: '600000',
      ...(transport === 'redis' ? { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix } : { RUN_EVENTS_POLL_MS: '200' }),
    });
    let schema: PostgresqlSchema;
    let datasetId: string;
    let client: Client | undefined;
    const servers: TestServer[] = [];

    before(async () => {
      schema = await createPostgresqlSchema(`replica_events_${transport}`);
      const features = await createNoiseTable(schema.datastore, 're_noise', 30_000, 8, 17);
      servers.push(await startTestServer(env(schema)));
      datasetId = dataOf(
        await servers[0]!.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: 'replica events noise', table: 're_noise', keyColumns: ['id'], featureColumns: features }),
        }),
        'registerDataset',
      ).registerDataset.id;
    });
    after(async () => {
      await client?.dispose();
      for (const server of servers) await server.stop();
      await schema?.drop();
      if (transport === 'redis') await deleteRedisKeys(prefix);
    });

    it('B receives RUNNING with non-decreasing progress, then SUCCEEDED equal to the stored run, and B ends the subscription', async () => {
      const [a] = servers as [TestServer];
      const input = startInput({ datasetId, k: 6, nInit: 3, maxIterations: 400, tolerance: 1e-12, seed: 23, publishOutcomes: false });
      const run = dataOf(await a.graphql(StartModelRunDocument, { input }), 'start').startModelRun;
      // Claimed by A (B is not up yet): A executes it.
      await waitForRun(a, run.id, ['RUNNING']);
      const b = await startTestServer(env(schema));
      servers.push(b);

      client = await connectGraphqlWs(b.url);
      const { events, ending } = await untilServerEnds(client, ModelRunPublishUpdatesDocument, { id: run.id });
      assert.equal(ending, 'complete');
      const states: RunSummaryFragment[] = events.map((event) => dataOf(event, 'event').modelRunUpdated);
      const statuses = states.map((state) => state.status);
      assert.equal(statuses.at(-1), 'SUCCEEDED', JSON.stringify(statuses));
      assert.ok(
        statuses.slice(0, -1).every((status) => status === 'RUNNING'),
        JSON.stringify(statuses),
      );
      const iterations = states.map((state) => state.progress.iteration);
      assert.deepEqual(
        iterations,
        [...iterations].sort((x, y) => x - y),
        `non-decreasing progress: ${iterations.join(', ')}`,
      );
      assert.ok(
        states.every((state) => state.id === run.id),
        'only this run’s updates',
      );
      // The last event, as it crossed Redis or was read by B's poll, is the run as A stored it: every field, dates included.
      const stored = await waitForRun(a, run.id);
      assert.deepEqual(states.at(-1), stored);
      assert.deepEqual(await runState(b, run.id), stored);
    });
  });
}
