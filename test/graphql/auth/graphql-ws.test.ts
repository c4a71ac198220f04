import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { CancelModelRunDocument, DatasetNamesDocument, ModelRunUpdatedDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { collectUntil, refusedSubscription, requestOverWs, wsClient, type Closed } from '../../support/graphql-ws';
import { dataOf, insertForeignRunningRun, startInput } from '../../support/runs';
import { createKey } from './auth-support';

/** graphql-ws authenticates at connection_init; on a server with AUTH_ANONYMOUS=none. */
describe('graphql-ws authentication (connection_init payload) with AUTH_ANONYMOUS=none', () => {
  let server: TestServer;
  let viewerKey: string;
  const clients: Client[] = [];
  const open = (params: Record<string, unknown>) => {
    const opened = wsClient(server.url, params);
    clients.push(opened.client);
    return opened;
  };
  /** A RUNNING run of another (live) server: cancelling it over HTTP publishes one update, CANCELLED. */
  const runningRun = () => insertForeignRunningRun(server.app.datastore);

  before(async () => {
    server = await startTestServer({ AUTH_ANONYMOUS: 'none', RUN_HEARTBEAT_MS: '600000' });
    viewerKey = (await createKey(server, 'ws viewer', 'VIEWER')).key;
  });
  after(async () => {
    for (const client of clients) await client.dispose();
    await server?.stop();
  });

  it('connection_init without credentials: the socket is closed with 4403, never acknowledged, and the subscription gets no event', async () => {
    const runId = await runningRun();
    const { client, acknowledged, closed } = open({});
    const outcome = refusedSubscription(client, runId);
    assert.equal((await closed).code, 4403);
    const { events, error } = await outcome;
    assert.equal(acknowledged(), false, 'no connection_ack');
    assert.deepEqual(events, []);
    assert.equal((error as Closed | null)?.code, 4403);
    // The run changes afterwards; nobody was subscribed to hear it.
    dataOf(await server.graphql(CancelModelRunDocument, { id: runId }), 'cancel');
    assert.deepEqual(events, []);
  });

  it('connection_init with a viewer key ({ authorization: "Bearer aim_…" }): modelRunUpdated delivers the run’s current state, then its update', async () => {
    const runId = await runningRun();
    const { client } = open({ authorization: `Bearer ${viewerKey}` });
    const { done } = collectUntil(client, ModelRunUpdatedDocument, { id: runId }, (event) => event.modelRunUpdated.status === 'CANCELLED');
    // A round trip on the same socket after the subscribe message: the server has taken the subscription.
    const answered = await requestOverWs(client, DatasetNamesDocument, {});
    assert.deepEqual(
      answered.data?.datasets.map((dataset) => dataset.name),
      ['iris', 'station_readings'],
    );
    dataOf(await server.graphql(CancelModelRunDocument, { id: runId }), 'cancel');
    const events = await done;
    assert.deepEqual(
      events.map((event) => [event.modelRunUpdated.id, event.modelRunUpdated.status]),
      [
        [runId, 'RUNNING'],
        [runId, 'CANCELLED'],
      ],
    );
  });

  it('connection parameters are named in any case, as HTTP headers are: { "X-API-Key": … } and { "AUTHORIZATION": "Bearer …" } are acknowledged', async () => {
    for (const params of [{ 'X-API-Key': viewerKey }, { AUTHORIZATION: `Bearer ${viewerKey}` }]) {
      const { client, acknowledged } = open(params);
      const answered = await requestOverWs(client, DatasetNamesDocument, {});
      assert.deepEqual(
        answered.data?.datasets.map((dataset) => dataset.name),
        ['iris', 'station_readings'],
        JSON.stringify(Object.keys(params)),
      );
      assert.equal(acknowledged(), true);
    }
  });

  it('a viewer over graphql-ws keeps its role: startModelRun on the socket is FORBIDDEN', async () => {
    const { client } = open({ 'x-api-key': viewerKey });
    const result = await requestOverWs(client, StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed: 1, publishOutcomes: false }) });
    assert.equal(result.data?.startModelRun ?? null, null);
    assert.equal(result.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(result));
    assert.equal(result.errors?.[0]?.extensions?.requiredRole, 'operator');
    assert.match(result.errors?.[0]?.message ?? '', /needs the operator role; the caller has viewer/);
  });

  for (const [what, params] of [
    ['an unknown API key', { authorization: `Bearer aim_${'B'.repeat(43)}` }],
    ['an unknown key in x-api-key', { 'x-api-key': `aim_${'C'.repeat(43)}` }],
    ['a malformed authorization ("Basic xyz")', { authorization: 'Basic xyz' }],
  ] as const) {
    it(`connection_init with ${what}: the socket is closed with 4403 and the subscription gets no event`, async () => {
      const runId = await runningRun();
      const { client, acknowledged, closed } = open(params);
      const outcome = refusedSubscription(client, runId);
      assert.equal((await closed).code, 4403);
      const { events } = await outcome;
      assert.equal(acknowledged(), false);
      dataOf(await server.graphql(CancelModelRunDocument, { id: runId }), 'cancel');
      assert.deepEqual(events, []);
    });
  }

  it('a revoked key is refused at connection_init with 4403', async () => {
    const revoked = await createKey(server, 'ws revoked', 'VIEWER');
    const { client: before } = open({ authorization: `Bearer ${revoked.key}` });
    assert.ok((await requestOverWs(before, DatasetNamesDocument, {})).data, 'the key works before revoking');
    await server.app.apiKeys.revoke(revoked.apiKey.id);
    const { client, closed } = open({ authorization: `Bearer ${revoked.key}` });
    const outcome = refusedSubscription(client, 'any-run');
    assert.equal((await closed).code, 4403);
    assert.deepEqual((await outcome).events, []);
  });
});

describe('graphql-ws with the development default (AUTH_ANONYMOUS=viewer)', () => {
  let server: TestServer;
  let client: Client | undefined;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await client?.dispose();
    await server?.stop();
  });

  it('connection_init without credentials is accepted as an anonymous viewer, who may query but not start a run', async () => {
    const opened = wsClient(server.url, {});
    client = opened.client;
    assert.ok((await requestOverWs(client, DatasetNamesDocument, {})).data);
    const result = await requestOverWs(client, StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed: 1, publishOutcomes: false }) });
    assert.equal(result.data?.startModelRun ?? null, null);
    assert.equal(result.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(result));
    assert.match(result.errors?.[0]?.message ?? '', /needs the operator role; the caller has viewer/);
  });

  it('connection_init with a wrong key is still closed with 4403 (never silently anonymous)', async () => {
    const { client: refused, closed } = wsClient(server.url, { authorization: `Bearer aim_${'D'.repeat(43)}` });
    const outcome = refusedSubscription(refused, 'any-run');
    assert.equal((await closed).code, 4403);
    assert.deepEqual((await outcome).events, []);
    await refused.dispose();
  });

  for (const [what, params] of [
    ['a key that is a number', { 'x-api-key': 123 }],
    ['a key that is an object', { 'x-api-key': { a: 1 } }],
    ['an authorization that is a list', { authorization: ['Bearer x'] }],
    ['authorization given twice in two cases, the wrong one first', { Authorization: `Bearer aim_${'E'.repeat(43)}`, authorization: 'Bearer admin' }],
  ] as const) {
    it(`connection_init with ${what} is closed with 4403, not taken as anonymous or as one of the two`, async () => {
      const given: Record<string, unknown> = { ...params };
      if (given.authorization === 'Bearer admin') given.authorization = `Bearer ${server.adminKey!}`;
      const { client: refused, closed } = wsClient(server.url, given);
      const outcome = refusedSubscription(refused, 'any-run');
      assert.equal((await closed).code, 4403);
      assert.deepEqual((await outcome).events, []);
      await refused.dispose();
    });
  }
});
