/**
 * SIGTERM while a long run is RUNNING and a request is in flight, on dist/src/main.js as `npm start`
 * runs it (test/support/main-process.ts), embedded SQLite:
 * - the in-flight request completes with 200 and a valid body (the HTTP server drains);
 * - the run goes back to the queue (QUEUED, unowned, its one claim counted: RUN_MAX_ATTEMPTS 3), the
 *   documented shutdown behaviour, never left RUNNING;
 * - the trace tail is flushed before exit: with the file sink, the trace files hold the run's
 *   run-requeued event; with ELASTICSEARCH_URL (the test proxy in front of OpenSearch), it is in the
 *   engine and nothing is left in the spool;
 * - the process exits with code 0.
 *
 * How the request is kept in flight without timing: it is sent with `Expect: 100-continue`, so the
 * server's "100 Continue" proves it has taken the request (its drain counts it as in flight), then
 * only half of the body is sent. SIGTERM follows; once the process has logged "shutting down" and
 * refuses new connections (it is draining), the rest of the body is sent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import type { Datastore } from '../../src/datastore/datastore';
import { embeddedDatastore } from '../support/databases';
import { RunRepository } from '../../src/modules/run/run.repository';
import { setupElasticsearch } from '../../src/telemetry/setup';
import { RegisterDatasetDocument, StartModelRunDocument } from '../generated/graphql';
import { startMain, type MainProcess } from '../support/main-process';
import { createNoiseTable, dataOf, LONG_RUN, pollUntil, registerInput, runState, startInput } from '../support/runs';
import { searchEngineUrl } from '../support/search-engine';
import {
  engineClient,
  removeTraceTargets,
  searchAll,
  setUpTargets,
  spoolContent,
  traceEnv,
  traceOptionsFor,
  traceTargets,
  type TraceTargets,
} from '../support/trace-engine';
import { traceSource } from '../integration/trace/trace-source';

const QUERY = '{ datasets { name rowCount } }';

interface SlowRequest {
  /** Sends the second half of the body. */
  finish(): void;
  readonly response: Promise<{ status: number; body: string }>;
}

/** A GraphQL POST the server has taken (100 Continue) with only half of its body sent. */
async function startSlowRequest(baseUrl: string, query: string): Promise<SlowRequest> {
  const body = Buffer.from(JSON.stringify({ query }));
  const half = Math.floor(body.length / 2);
  const { hostname, port } = new URL(baseUrl);
  const request = http.request({
    host: hostname,
    port: Number(port),
    path: '/graphql',
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }));
      incoming.on('error', reject);
    });
    request.on('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    request.once('continue', resolve);
    request.once('error', reject);
    request.flushHeaders();
  });
  request.write(body.subarray(0, half));
  return { finish: () => request.end(body.subarray(half)), response };
}

/** Whether a new connection to the port is refused now. */
function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Resolves with the exit, or fails after `boundMs` (a bound against hanging, not a timing assertion). */
async function exitWithin(main: MainProcess, boundMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      main.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the process did not exit within ${boundMs} ms of SIGTERM`)), boundMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

interface Shutdown {
  readonly runId: string;
  readonly datastore: Datastore;
  readonly main: MainProcess;
}

/**
 * Starts main.js with `env`, a long run on a noise table until it is computing, a slow request;
 * sends SIGTERM and checks the request, the exit code and the run's final state in the database.
 * The caller closes `datastore`.
 */
async function sigtermWithRunAndRequest(dataDir: string, env: Record<string, string>, log: (message: string) => void): Promise<Shutdown> {
  const main = await startMain({ DATA_DIR: dataDir, ...env });
  const datastore = embeddedDatastore(dataDir);
  try {
    const features = await createNoiseTable(datastore, 'sigterm_noise', 50_000, 8, 41);
    const dataset = dataOf(
      await main.graphql(RegisterDatasetDocument, {
        input: registerInput({ name: 'sigterm noise', table: 'sigterm_noise', keyColumns: ['id'], featureColumns: features }),
      }),
      'registerDataset',
    ).registerDataset;
    const runId = dataOf(await main.graphql(StartModelRunDocument, { input: startInput({ datasetId: dataset.id, ...LONG_RUN }) }), 'long run').startModelRun.id;
    await pollUntil(
      () => runState(main, runId),
      (run) => run.status === 'RUNNING' && run.progress.iteration > 0,
      'the long run computing',
    );

    const slow = await startSlowRequest(main.url, QUERY);
    main.child.kill('SIGTERM');
    await pollUntil(() => Promise.resolve(main.lines.some((line) => line.msg === 'shutting down')), Boolean, 'the "shutting down" log line');
    await pollUntil(() => refusesConnections(Number(new URL(main.url).port)), Boolean, 'the server refusing new connections (draining)');
    slow.finish();

    const { status, body } = await slow.response;
    assert.equal(status, 200, body);
    const parsed = JSON.parse(body) as { data?: { datasets: { name: string; rowCount: number }[] }; errors?: unknown };
    assert.equal(parsed.errors, undefined, body);
    assert.deepEqual(
      parsed.data?.datasets.map((entry) => entry.name).sort(),
      ['iris', 'sigterm noise', 'station_readings'],
      'the in-flight request got its full answer',
    );

    const exit = await exitWithin(main, 60_000);
    assert.deepEqual(exit, { code: 0, signal: null });
    log(
      `exit ${JSON.stringify(exit)}; shutdown log: ${
        main.lines
          .filter((line) => Number(line.level) >= 40)
          .map((line) => line.msg)
          .join(' | ') || 'no warnings'
      }`,
    );

    const [run] = await new RunRepository(datastore).findByIds([runId]);
    assert.deepEqual(
      [run?.status, run?.owner, run?.attempts, run?.error, run?.finishedAt],
      ['QUEUED', null, 1, null, null],
      'given back to the queue, never left RUNNING (SUCCEEDED: the run ended before the shutdown reached it; make it longer)',
    );
    return { runId, datastore, main };
  } catch (error) {
    if (main.child.exitCode === null && main.child.signalCode === null) main.child.kill('SIGKILL');
    await datastore.close();
    throw error;
  }
}

interface TraceLine {
  _id: string;
  _target: 'events' | 'runs';
  event: { action: string; outcome?: string };
  trace?: { id: string };
  error?: { code: string };
  aimodel: { run?: { status?: string; attempts?: number } };
}

async function traceFileDocuments(directory: string): Promise<TraceLine[]> {
  const files = (await readdir(directory)).filter((name) => /^trace-.*\.ndjson$/.test(name)).sort();
  const documents: TraceLine[] = [];
  for (const file of files) {
    for (const line of (await readFile(path.join(directory, file), 'utf8')).split('\n')) if (line.trim()) documents.push(JSON.parse(line) as TraceLine);
  }
  return documents;
}

describe('SIGTERM with a run RUNNING and a request in flight (main.js, embedded SQLite)', () => {
  it('file trace: the request completes 200, the run goes back to the queue, the trace files hold its run-requeued event (attempt 1), exit code 0', async (t) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-sigterm-file-'));
    const { runId, datastore } = await sigtermWithRunAndRequest(dataDir, {}, (message) => t.diagnostic(message));
    try {
      const documents = (await traceFileDocuments(path.join(dataDir, 'trace'))).filter((document) => document.trace?.id === runId);
      const actions = [...new Set(documents.map((document) => document.event.action))].join(', ');
      const requeued = documents.filter((document) => document._target === 'events' && document.event.action === 'run-requeued');
      assert.deepEqual(
        requeued.map((document) => document.aimodel.run?.attempts),
        [1],
        `one run-requeued event in the trace files, after attempt 1; actions seen: ${actions}`,
      );
      assert.ok(!documents.some((document) => document.event.action === 'run-failed'), `no run-failed event; actions seen: ${actions}`);
      assert.ok(
        documents.some((document) => document.event.action === 'iteration'),
        'the iterations before the shutdown are there too',
      );
      t.diagnostic(`${documents.length} trace documents of run ${runId} in the files`);
    } finally {
      await datastore.close();
    }
  });

  describe('with ELASTICSEARCH_URL (the test proxy in front of OpenSearch)', () => {
    let client: Client;
    let targets: TraceTargets;

    before(async () => {
      client = await engineClient();
      targets = traceTargets('sigterm');
      await setUpTargets(client, targets, async () => void (await setupElasticsearch(client, traceOptionsFor(await searchEngineUrl(), targets))), {
        createStream: true,
      });
    });

    after(async () => {
      if (client) {
        await removeTraceTargets(client, targets);
        await client.close();
      }
    });

    it('the request completes 200, the run goes back to the queue, its run-requeued event reaches the engine before exit (spool empty), exit code 0', async (t) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-sigterm-engine-'));
      const { runId, datastore } = await sigtermWithRunAndRequest(dataDir, traceEnv(await searchEngineUrl(), targets), (message) => t.diagnostic(message));
      try {
        // The process is gone: whatever it did not deliver would be in its spool, and nobody replays it.
        assert.equal((await spoolContent(targets)).bytes, 0, 'nothing left in the spool');
        await client.indices.refresh({ index: [targets.stream, targets.runsIndex] });
        const events = (await searchAll(client, targets.stream, { term: { 'trace.id': runId } })).map((document) => traceSource(document._source));
        const requeued = events.filter((source) => source.event.action === 'run-requeued');
        assert.deepEqual(
          requeued.map((source) => source.aimodel.run?.attempts),
          [1],
          `one run-requeued event in the engine; actions: ${[...new Set(events.map((source) => source.event.action))].join(', ')}`,
        );
        t.diagnostic(`${events.length} trace documents of run ${runId} in the engine`);
      } finally {
        await datastore.close();
      }
    });
  });
});
