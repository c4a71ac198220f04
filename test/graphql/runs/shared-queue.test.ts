import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { CancelModelRunDocument, RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { createNoiseTable, dataOf, LONG_RUN, registerInput, startInput, TERMINAL, waitForRun } from '../../support/runs';

/**
 * Two servers on one PostgreSQL database share the run queue (the ai_model_run table): a run started
 * on a busy server is claimed by the idle one, and a queued run, or one given back at a stop, outlives every server.
 */
describe('PostgreSQL: two servers share the run queue (RUN_CONCURRENCY=1 each)', () => {
  const env = (schema: PostgresqlSchema) => ({
    DB_DIALECT: 'postgresql',
    DB_CONNECTION_STRING: schema.connectionString,
    RUN_CONCURRENCY: '1',
    RUN_HEARTBEAT_MS: '600000',
  });
  let schema: PostgresqlSchema;
  let datasetId: string;
  const servers: TestServer[] = [];
  const started: string[] = [];

  before(async () => {
    schema = await createPostgresqlSchema('runs_shared_queue');
    const features = await createNoiseTable(schema.datastore, 'sq_noise', 50_000, 8, 91);
    servers.push(await startTestServer(env(schema)));
    datasetId = dataOf(
      await servers[0]!.graphql(RegisterDatasetDocument, {
        input: registerInput({ name: 'shared queue noise', table: 'sq_noise', keyColumns: ['id'], featureColumns: features }),
      }),
      'registerDataset',
    ).registerDataset.id;
  });
  after(async () => {
    for (const id of started) await servers.at(-1)?.graphql(CancelModelRunDocument, { id });
    for (const server of servers) await server.stop();
    await schema?.drop();
  });

  it('a run started on a busy server is claimed by the idle one; stopped, both give their running runs back to the queue, and a new server claims the oldest as attempt 2', async () => {
    const [a] = servers as [TestServer];
    const start = async (server: TestServer) =>
      dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, ...LONG_RUN }) }), 'start').startModelRun.id;
    const owners = async (ids: string[]) => {
      const found = await new RunRepository(schema.datastore).findByIds(ids);
      return ids.map((id) => found.find((run) => run.id === id)).map((run) => [run?.id, run?.status, run?.owner, run?.attempts]);
    };

    const first = await start(a);
    started.push(first);
    await waitForRun(a, first, ['RUNNING']);
    const b = await startTestServer(env(schema));
    servers.push(b);
    const second = await start(a);
    started.push(second);
    await waitForRun(a, second, ['RUNNING']);
    const [firstRun, secondRun] = await new RunRepository(schema.datastore)
      .findByIds([first, second])
      .then((runs) => [first, second].map((id) => runs.find((run) => run.id === id)!));
    assert.notEqual(firstRun!.owner, secondRun!.owner, 'the second run went to the other server');
    assert.deepEqual([firstRun!.attempts, secondRun!.attempts], [1, 1]);

    // Both servers busy: a third run waits in the database. Stopped, both give their running runs back.
    const third = await start(b);
    started.push(third);
    assert.deepEqual(await owners([third]), [[third, 'QUEUED', null, 0]]);
    await a.stop();
    await b.stop();
    servers.length = 0;
    assert.deepEqual(
      await owners([first, second, third]),
      [
        [first, 'QUEUED', null, 1],
        [second, 'QUEUED', null, 1],
        [third, 'QUEUED', null, 0],
      ],
      'with every server stopped, the running runs are queued again (their claim counted) and the queued one still waits',
    );

    const c = await startTestServer(env(schema));
    servers.push(c);
    await waitForRun(c, first, ['RUNNING']);
    const [claimed] = await new RunRepository(schema.datastore).findByIds([first]);
    assert.deepEqual([claimed?.status, claimed?.attempts, claimed?.owner === firstRun!.owner || claimed?.owner === secondRun!.owner], ['RUNNING', 2, false]);
    assert.deepEqual(
      (await owners([second, third])).map(([, status, owner]) => [status, owner]),
      [
        ['QUEUED', null],
        ['QUEUED', null],
      ],
    );
    for (const id of [first, second, third]) dataOf(await c.graphql(CancelModelRunDocument, { id }), 'cancel');
    for (const id of [first, second, third]) assert.ok(TERMINAL.includes((await waitForRun(c, id)).status));
  });
});
