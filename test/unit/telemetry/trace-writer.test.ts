import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, type TestContext } from 'node:test';
import { createLogger } from '../../../src/logging/logger';
import type { TraceOptions } from '../../../src/telemetry/options';
import { Spool } from '../../../src/telemetry/spool';
import { ECS_VERSION, type TraceDocument } from '../../../src/telemetry/trace-document';
import type { SinkResult, TraceSink } from '../../../src/telemetry/trace-sink';
import { TraceWriter } from '../../../src/telemetry/trace-writer';
import { eventually, SERVICE, temporaryDirectory, traceEvent, traceOptions } from './fixtures';

type SinkMode = 'up' | 'down-throws' | 'down-retryable' | 'rejecting';

/**
 * A search engine stand-in with Elasticsearch's write semantics: an `events` document is created
 * once (a second write of its _id is a 409, i.e. done, nothing changes); a `runs` document is
 * indexed, replacing the stored one. It can be switched up, down (throwing, or answering everything
 * retryable) or rejecting everything, held on a gate, and told to store a document yet report it
 * retryable (a bulk response lost after the engine took the document).
 */
class FakeSink implements TraceSink {
  mode: SinkMode = 'up';
  closed = false;
  readonly stored = new Map<string, TraceDocument>();
  /** How often each _id was stored (created, or for `runs` replaced). */
  readonly stores = new Map<string, number>();
  /** How often each _id was handed to write(), whatever came of it. */
  readonly attempts = new Map<string, number>();
  /** Every store, in order, by _id. */
  readonly storeOrder: string[] = [];
  /** Ids to store and yet report retryable, once each. */
  readonly storeButReportRetryable = new Set<string>();
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  writeCalls = 0;

  constructor(readonly name: TraceSink['name'] = 'elasticsearch') {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async write(documents: readonly TraceDocument[]): Promise<SinkResult> {
    this.writeCalls += 1;
    for (const document of documents) this.attempts.set(document._id, (this.attempts.get(document._id) ?? 0) + 1);
    if (this.gate) await this.gate;
    switch (this.mode) {
      case 'down-throws':
        throw new Error('connect ECONNREFUSED 127.0.0.1:9200');
      case 'down-retryable':
        return { retryable: [...documents], rejected: [] };
      case 'rejecting':
        return { retryable: [], rejected: documents.map((document) => ({ document, reason: '400 mapper_parsing_exception' })) };
      case 'up': {
        const retryable: TraceDocument[] = [];
        for (const document of documents) {
          if (document._target === 'runs' || !this.stored.has(document._id)) {
            this.stored.set(document._id, JSON.parse(JSON.stringify(document)) as TraceDocument);
            this.stores.set(document._id, (this.stores.get(document._id) ?? 0) + 1);
            this.storeOrder.push(document._id);
          } // else: 409, already stored — settled, neither retryable nor rejected
          if (this.storeButReportRetryable.delete(document._id)) retryable.push(document);
        }
        return { retryable, rejected: [] };
      }
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  attemptsOf(document: TraceDocument): number {
    return this.attempts.get(document._id) ?? 0;
  }
}

const logger = createLogger('silent');

/** What the spool holds, read through a second Spool on the same folder that keeps everything. */
async function spooledIds(directory: string): Promise<string[]> {
  const ids: string[] = [];
  await new Spool(directory).replay(1_000, (batch) => {
    ids.push(...batch.map((document) => document._id));
    return Promise.resolve(batch);
  });
  return ids;
}

/**
 * The writer waits a back-off (5 s) after a failed write before it replays the spool; it reads the
 * time through Date.now only, so the test moves that clock instead of waiting.
 */
function replayClock(t: TestContext): { passTheBackOff(): void } {
  const realNow = Date.now.bind(Date);
  let offset = 0;
  t.mock.method(Date, 'now', () => realNow() + offset);
  return {
    passTheBackOff() {
      offset += 60_000;
    },
  };
}

function runSummary(runId: string, status: string): TraceDocument {
  return {
    _id: runId,
    _target: 'runs',
    '@timestamp': '2024-03-01T10:00:00.000Z',
    event: { kind: 'state', category: ['process'], type: ['info'], action: 'run-summary' },
    ecs: { version: ECS_VERSION },
    service: SERVICE,
    trace: { id: runId },
    aimodel: { run: { id: runId, status } },
  };
}

function statusOf(summary: TraceDocument | undefined): unknown {
  return (summary?.aimodel as { run?: { status?: string } } | undefined)?.run?.status;
}

describe('TraceWriter', () => {
  let directory: string;
  let remove: () => Promise<void>;
  let writers: TraceWriter[];

  beforeEach(async () => {
    ({ directory, remove } = await temporaryDirectory('trace-writer'));
    writers = [];
  });

  afterEach(async () => {
    for (const writer of writers) await writer.stop().catch(() => undefined);
    await remove();
  });

  function writerWith(sink: FakeSink, options: Partial<TraceOptions> = {}, withSpool = true): { writer: TraceWriter; spool: Spool | null } {
    const spool = withSpool ? new Spool(directory) : null;
    // A flush interval far beyond any test: flushes happen through record (full batch), flush() and stop().
    const writer = new TraceWriter(sink, spool, traceOptions(directory, { batchSize: 3, flushIntervalMs: 3_600_000, ...options }), logger);
    writers.push(writer);
    return { writer, spool };
  }

  it('record() returns undefined at once while the sink is still busy with an earlier batch', async () => {
    const sink = new FakeSink();
    const { writer } = writerWith(sink);
    writer.start();
    sink.hold();
    const documents = Array.from({ length: 4 }, (_, index) => traceEvent('run-a', index));
    for (const document of documents) assert.equal(writer.record(document), undefined);
    // The first full batch is with the (held) sink; record did not wait for it.
    await eventually(() => sink.writeCalls === 1, 'the full batch reaches the sink');
    assert.equal(sink.stored.size, 0);
    sink.release();
    await writer.flush();
    assert.deepEqual([...sink.stored.keys()].sort(), documents.map((document) => document._id).sort());
  });

  for (const withSpool of [true, false]) {
    it(`record() never throws and no flush rejects when the sink throws (${withSpool ? 'with' : 'without'} a spool, queue overflowing)`, async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const sink = new FakeSink();
        sink.mode = 'down-throws';
        const { writer } = writerWith(sink, { batchSize: 1, queueLimit: 1 }, withSpool);
        for (let index = 0; index < 6; index++) assert.equal(writer.record(traceEvent('run-b', index)), undefined);
        await writer.flush();
        await eventually(() => writer.counters().spooled + writer.counters().dropped === 6, 'every document spooled or dropped');
        // Let any stray rejection surface before looking.
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(unhandled, []);
        assert.equal(writer.counters().indexed, 0);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  }

  it('a full batch is written without waiting for the flush timer; a partial batch stays queued', async () => {
    const sink = new FakeSink();
    const { writer } = writerWith(sink);
    writer.start();
    const batch = [0, 1, 2].map((index) => traceEvent('run-c', index));
    for (const document of batch) writer.record(document);
    await eventually(() => writer.counters().indexed === 3, 'the full batch indexed');
    assert.deepEqual(
      [...sink.stored.keys()],
      batch.map((document) => document._id),
    );
    writer.record(traceEvent('run-c', 3));
    writer.record(traceEvent('run-c', 4));
    assert.equal(writer.counters().queued, 2);
    assert.equal(sink.writeCalls, 1);
  });

  for (const mode of ['down-throws', 'down-retryable'] as const) {
    it(`with the sink down (${mode}) every document lands in the spool in order; after the back-off the spool is replayed and each arrives exactly once`, async (t) => {
      const clock = replayClock(t);
      const sink = new FakeSink();
      sink.mode = mode;
      const { writer, spool } = writerWith(sink);
      const whileDown = Array.from({ length: 7 }, (_, index) => traceEvent('run-d', index));
      for (const document of whileDown) writer.record(document);
      await writer.flush();
      assert.deepEqual(writer.counters(), { sink: 'elasticsearch', indexed: 0, spooled: 7, replayed: 0, dropped: 0, queued: 0 });
      assert.deepEqual(
        await spooledIds(directory),
        whileDown.map((document) => document._id),
      );

      sink.mode = 'up';
      const afterwards = [traceEvent('run-d', 7), traceEvent('run-d', 8)];
      for (const document of afterwards) writer.record(document);
      clock.passTheBackOff();
      await writer.flush();

      const all = [...whileDown, ...afterwards];
      assert.deepEqual([...sink.stored.keys()].sort(), all.map((document) => document._id).sort());
      for (const document of all) assert.equal(sink.stores.get(document._id), 1, `${document._id} stored once`);
      const counters = writer.counters();
      assert.equal(counters.replayed, 7);
      assert.equal(counters.indexed + counters.replayed, all.length);
      assert.equal(counters.dropped, 0);
      assert.equal(await spool!.size(), 0);
    });
  }

  it('a document the sink stored but reported retryable is replayed once, answered as already stored, and counted once', async (t) => {
    const clock = replayClock(t);
    const sink = new FakeSink();
    const { writer, spool } = writerWith(sink);
    const documents = [0, 1, 2].map((index) => traceEvent('run-e', index));
    sink.storeButReportRetryable.add(documents[1]!._id);
    for (const document of documents) writer.record(document);
    await writer.flush();
    assert.deepEqual(writer.counters(), { sink: 'elasticsearch', indexed: 2, spooled: 1, replayed: 0, dropped: 0, queued: 0 });

    clock.passTheBackOff();
    await writer.flush();
    assert.deepEqual(writer.counters(), { sink: 'elasticsearch', indexed: 2, spooled: 1, replayed: 1, dropped: 0, queued: 0 });
    assert.equal(sink.stored.size, 3);
    for (const document of documents) assert.equal(sink.stores.get(document._id), 1, `${document._id} stored once`);
    assert.equal(sink.attemptsOf(documents[1]!), 2);
    assert.equal(sink.attemptsOf(documents[0]!), 1);
    assert.equal(await spool!.size(), 0);

    // Nothing is left to replay: a later flush writes nothing again.
    clock.passTheBackOff();
    await writer.flush();
    assert.equal(sink.attemptsOf(documents[1]!), 2);
  });

  it('documents the sink rejects are counted as dropped and never retried', async (t) => {
    const clock = replayClock(t);
    const sink = new FakeSink();
    sink.mode = 'rejecting';
    const { writer, spool } = writerWith(sink);
    const documents = [0, 1, 2].map((index) => traceEvent('run-f', index));
    for (const document of documents) writer.record(document);
    await writer.flush();
    assert.deepEqual(writer.counters(), { sink: 'elasticsearch', indexed: 0, spooled: 0, replayed: 0, dropped: 3, queued: 0 });

    sink.mode = 'up';
    clock.passTheBackOff();
    await writer.flush();
    for (const document of documents) assert.equal(sink.attemptsOf(document), 1);
    assert.equal(sink.stored.size, 0);
    assert.equal(await spool!.size(), 0);
  });

  it('a spooled document the sink rejects on replay is counted as dropped, not as replayed, and not retried again', async (t) => {
    const clock = replayClock(t);
    const sink = new FakeSink();
    sink.mode = 'down-retryable';
    const { writer, spool } = writerWith(sink);
    const documents = [traceEvent('run-g', 0), traceEvent('run-g', 1)];
    for (const document of documents) writer.record(document);
    await writer.flush();
    assert.equal(writer.counters().spooled, 2);

    sink.mode = 'rejecting';
    clock.passTheBackOff();
    await writer.flush();
    assert.deepEqual(writer.counters(), { sink: 'elasticsearch', indexed: 0, spooled: 2, replayed: 0, dropped: 2, queued: 0 });
    assert.equal(await spool!.size(), 0);

    sink.mode = 'up';
    clock.passTheBackOff();
    await writer.flush();
    for (const document of documents) assert.equal(sink.attemptsOf(document), 2);
    assert.equal(sink.stored.size, 0);
  });

  it('past the queue limit documents go to the spool, and all of them arrive exactly once later', async () => {
    const sink = new FakeSink();
    const { writer } = writerWith(sink, { queueLimit: 2, batchSize: 100 });
    const documents = Array.from({ length: 5 }, (_, index) => traceEvent('run-h', index));
    for (const document of documents) {
      writer.record(document);
      assert.ok(writer.counters().queued <= 2, 'the queue never grows past its limit');
    }
    await eventually(() => writer.counters().spooled > 0 && writer.counters().spooled + writer.counters().queued === 5, 'the overflow spooled');
    assert.equal(sink.writeCalls, 0);

    await writer.flush();
    assert.deepEqual([...sink.stored.keys()].sort(), documents.map((document) => document._id).sort());
    for (const document of documents) assert.equal(sink.stores.get(document._id), 1);
    const counters = writer.counters();
    assert.equal(counters.indexed + counters.replayed, 5);
    assert.equal(counters.dropped, 0);
  });

  it('without a spool, a full queue drops only the documents past its limit and keeps the queued ones', async () => {
    const sink = new FakeSink('file');
    const { writer } = writerWith(sink, { queueLimit: 2, batchSize: 100 }, false);
    const documents = Array.from({ length: 3 }, (_, index) => traceEvent('run-n', index));
    for (const document of documents) writer.record(document);
    assert.deepEqual(writer.counters(), { sink: 'file', indexed: 0, spooled: 0, replayed: 0, dropped: 1, queued: 2 });
    await writer.flush();
    assert.deepEqual(
      [...sink.stored.keys()],
      documents.slice(0, 2).map((document) => document._id),
    );
  });

  it('a run summary spooled while the sink was down never overwrites the newer summary recorded after it', async (t) => {
    const clock = replayClock(t);
    const sink = new FakeSink();
    sink.mode = 'down-retryable';
    const { writer } = writerWith(sink);
    writer.record(runSummary('run-i', 'QUEUED'));
    await writer.flush();
    assert.equal(writer.counters().spooled, 1);

    // The engine is back before the back-off ends; the run finishes meanwhile.
    sink.mode = 'up';
    writer.record(runSummary('run-i', 'SUCCEEDED'));
    await writer.flush();
    clock.passTheBackOff();
    await writer.flush();

    assert.equal(statusOf(sink.stored.get('run-i')), 'SUCCEEDED');
    assert.equal(writer.counters().queued, 0);
  });

  it('documents an earlier process left in the spool are written at the first flush, before newer ones', async () => {
    const leftOver = [runSummary('run-m', 'QUEUED'), traceEvent('run-m', 0)];
    await new Spool(directory).append(leftOver);
    const sink = new FakeSink();
    const { writer, spool } = writerWith(sink);
    const newer = [runSummary('run-m', 'FAILED'), traceEvent('run-m', 1)];
    for (const document of newer) writer.record(document);
    await writer.flush();
    assert.deepEqual(
      sink.storeOrder,
      [...leftOver, ...newer].map((document) => document._id),
    );
    assert.equal(statusOf(sink.stored.get('run-m')), 'FAILED');
    assert.deepEqual(writer.counters(), { sink: 'elasticsearch', indexed: 2, spooled: 0, replayed: 2, dropped: 0, queued: 0 });
    assert.equal(await spool!.size(), 0);
  });

  it('stop() writes the documents recorded just before it, including those recorded during a running flush, then closes the sink', async () => {
    const sink = new FakeSink();
    const { writer } = writerWith(sink);
    writer.start();
    const first = [0, 1, 2].map((index) => traceEvent('run-j', index));
    sink.hold();
    for (const document of first) writer.record(document); // a full batch: a flush starts and waits on the sink
    await eventually(() => sink.writeCalls === 1, 'the flush is with the sink');
    const tail = [traceEvent('run-j', 3), traceEvent('run-j', 4)];
    for (const document of tail) writer.record(document);
    const stopped = writer.stop();
    sink.release();
    await stopped;
    assert.deepEqual([...sink.stored.keys()].sort(), [...first, ...tail].map((document) => document._id).sort());
    assert.equal(writer.counters().queued, 0);
    assert.equal(sink.closed, true);
  });

  it('stop() flushes a tail shorter than a batch', async () => {
    const sink = new FakeSink();
    const { writer } = writerWith(sink);
    writer.start();
    const tail = [traceEvent('run-k', 0), traceEvent('run-k', 1)];
    for (const document of tail) writer.record(document);
    assert.equal(sink.writeCalls, 0);
    await writer.stop();
    assert.deepEqual(
      [...sink.stored.keys()],
      tail.map((document) => document._id),
    );
    assert.equal(writer.counters().indexed, 2);
  });

  it('without a spool (file sink) retryable documents are dropped and counted, and nothing is retried', async () => {
    const sink = new FakeSink('file');
    sink.mode = 'down-retryable';
    const { writer } = writerWith(sink, {}, false);
    const documents = Array.from({ length: 5 }, (_, index) => traceEvent('run-l', index));
    for (const document of documents) writer.record(document);
    await writer.flush();
    assert.deepEqual(writer.counters(), { sink: 'file', indexed: 0, spooled: 0, replayed: 0, dropped: 5, queued: 0 });

    sink.mode = 'up';
    await writer.flush();
    assert.equal(sink.stored.size, 0);
    const attempts = documents.reduce((sum, document) => sum + sink.attemptsOf(document), 0);
    assert.ok(attempts <= documents.length, 'no document was sent twice');
  });

  it('once the spool has reached TRACE_SPOOL_MAX_BYTES, later documents the engine cannot take are dropped and counted, not spooled', async () => {
    const sink = new FakeSink();
    sink.mode = 'down-throws';
    const { writer, spool } = writerWith(sink, { batchSize: 100, spoolMaxBytes: 1_024 });
    // An outage fills the spool past its cap (one append may cross it) …
    for (let index = 0; index < 20; index++) writer.record(traceEvent('run-full', index));
    await writer.flush();
    const filled = await spool!.size();
    assert.ok(filled >= 1_024, `the spool holds ${filled} bytes`);
    assert.equal(writer.counters().spooled, 20);
    // … after which nothing more goes in.
    for (let index = 20; index < 30; index++) writer.record(traceEvent('run-full', index));
    await writer.flush();
    assert.equal(writer.counters().dropped, 10);
    assert.equal(await spool!.size(), filled);
  });
});
