import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { StartModelRunDocument } from '../../generated/graphql';
import { metricValue, startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, readOutcomeTable, startInput, waitForRun } from '../../support/runs';

/**
 * publishRunOutcomes writes a run's outcomes once per request and once at a time: thirty aliases of one
 * request (mutations run one after another) or requests at once UPSERT the run's rows once, and every
 * caller gets the same answer. Counted by the UPSERT statements the server ran (db_statements_total).
 */
const aliases = (runId: string, count: number) =>
  parse(
    `mutation { ${Array.from({ length: count }, (_, index) => `p${index}: publishRunOutcomes(runId: "${runId}") { id outcomesPublishedAt }`).join(' ')} }`,
  ) as TypedDocumentNode<Record<string, { id: string; outcomesPublishedAt: string }>, Record<string, never>>;

describe('publishRunOutcomes once per request and at a time (SQLite)', () => {
  let server: TestServer;
  let runId: string;
  let otherRunId: string;

  before(async () => {
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000' });
    const start = async (seed: number) => {
      const id = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: 'demo-iris', k: 3, seed }) }), 'start').startModelRun.id;
      assert.equal((await waitForRun(server, id)).status, 'SUCCEEDED');
      return id;
    };
    otherRunId = await start(5);
    runId = await start(4);
  });
  after(() => server?.stop());

  const upserts = async () =>
    metricValue(await (await server.get('/metrics')).text(), 'db_statements_total', { dialect: 'sqlite', kind: 'upsert', outcome: 'ok' });

  it('thirty aliases of one request, and five requests at once, each write the outcomes as one publish does', async () => {
    const before = await upserts();
    dataOf(await server.graphql(aliases(runId, 1)), 'one publish');
    const one = (await upserts()) - before;
    assert.ok(one > 0, 'a publish UPSERTs the outcomes');

    const beforeAliases = await upserts();
    const answer = dataOf(await server.graphql(aliases(runId, 30)), 'thirty aliases');
    assert.equal((await upserts()) - beforeAliases, one, 'thirty aliases: the statements of one publish');
    assert.equal(new Set(Object.values(answer).map((run) => run.outcomesPublishedAt)).size, 1, 'every alias gets the same answer');

    const beforeConcurrent = await upserts();
    const answers = await Promise.all(Array.from({ length: 5 }, () => server.graphql(aliases(runId, 1))));
    for (const concurrent of answers) assert.equal(concurrent.errors, undefined, JSON.stringify(concurrent.errors));
    const written = (await upserts()) - beforeConcurrent;
    // Five at once share the publish under way; one that arrives after it has ended publishes again.
    assert.ok(written >= one && written < 5 * one, `five requests at once: ${written} UPSERT statements, one publish takes ${one}`);

    const outcomes = await readOutcomeTable(server.app.datastore, 'demo-iris');
    assert.equal(outcomes.length, 150);
    assert.ok(outcomes.every((row) => row.runId === runId));
  });

  it('going back in one request (A, B, then A again) publishes A again: the table holds A’s outcomes', async () => {
    const back = parse(
      `mutation { a: publishRunOutcomes(runId: "${runId}") { id } b: publishRunOutcomes(runId: "${otherRunId}") { id } c: publishRunOutcomes(runId: "${runId}") { id } }`,
    ) as TypedDocumentNode<Record<string, { id: string }>, Record<string, never>>;
    const before = await upserts();
    dataOf(await server.graphql(aliases(runId, 1)), 'one publish');
    const one = (await upserts()) - before;
    const beforeBack = await upserts();
    const answer = dataOf(await server.graphql(back), 'A, B, A');
    assert.deepEqual([answer.a!.id, answer.b!.id, answer.c!.id], [runId, otherRunId, runId]);
    assert.equal((await upserts()) - beforeBack, 3 * one, 'three publishes');
    const outcomes = await readOutcomeTable(server.app.datastore, 'demo-iris');
    assert.equal(outcomes.length, 150);
    assert.ok(
      outcomes.every((row) => row.runId === runId),
      `the table holds ${[...new Set(outcomes.map((row) => row.runId))].join(', ')}`,
    );
  });
});
