import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Spool } from '../../../src/telemetry/spool';
import type { TraceDocument } from '../../../src/telemetry/trace-document';
import { temporaryDirectory, traceEvent } from './fixtures';

const ids = (documents: readonly TraceDocument[]) => documents.map((document) => document._id);

/** Replays everything as delivered and returns the documents in the order `send` saw them. */
async function drain(spool: Spool, batchSize = 100): Promise<TraceDocument[]> {
  const seen: TraceDocument[] = [];
  await spool.replay(batchSize, (batch) => {
    seen.push(...batch);
    return Promise.resolve([]);
  });
  return seen;
}

describe('Spool', () => {
  let directory: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ directory, remove } = await temporaryDirectory('spool'));
  });

  afterEach(async () => {
    await remove();
  });

  it('replays the documents of several appends in the order they were appended, in batches of the given size', async () => {
    const spool = new Spool(path.join(directory, 'nested', 'spool'));
    const documents = Array.from({ length: 5 }, (_, index) => traceEvent('run-a', index));
    await spool.append(documents.slice(0, 2));
    await spool.append(documents.slice(2, 3));
    await spool.append(documents.slice(3));

    const batches: string[][] = [];
    const result = await spool.replay(2, (batch) => {
      batches.push(ids(batch));
      return Promise.resolve([]);
    });
    assert.deepEqual(batches, [ids(documents.slice(0, 2)), ids(documents.slice(2, 4)), ids(documents.slice(4))]);
    assert.deepEqual(result, { sent: 5, kept: 0 });
    assert.deepEqual(await spool.replay(2, () => assert.fail('an empty spool sends nothing')), { sent: 0, kept: 0 });
    assert.equal(await spool.size(), 0);
  });

  it('a spool nothing was ever appended to replays nothing and has size 0', async () => {
    const spool = new Spool(directory);
    assert.equal(await spool.size(), 0);
    assert.deepEqual(await spool.replay(10, () => assert.fail('nothing to send')), { sent: 0, kept: 0 });
  });

  it('keeps what send returns as still failing, keeps later batches untried once a batch fails, and replays the kept ones in order next time', async () => {
    const spool = new Spool(directory);
    const documents = Array.from({ length: 6 }, (_, index) => traceEvent('run-b', index));
    await spool.append(documents);

    const tried: string[] = [];
    const result = await spool.replay(2, (batch) => {
      tried.push(...ids(batch));
      // The first batch goes through; the second fails for its second document.
      return Promise.resolve(batch.filter((document) => document._id === documents[3]!._id));
    });
    assert.deepEqual(tried, ids(documents.slice(0, 4)));
    assert.deepEqual(result, { sent: 3, kept: 3 });

    assert.deepEqual(ids(await drain(spool)), ids([documents[3]!, documents[4]!, documents[5]!]));
    assert.equal(await spool.size(), 0);
  });

  it('a document appended while a replay is running is not lost: it is kept behind the documents still failing', async () => {
    const spool = new Spool(directory);
    const first = [traceEvent('run-c', 0), traceEvent('run-c', 1)];
    const late = traceEvent('run-c', 2);
    await spool.append(first);

    let sendStarted!: () => void;
    const started = new Promise<void>((resolve) => (sendStarted = resolve));
    let finishSend!: () => void;
    const finish = new Promise<void>((resolve) => (finishSend = resolve));
    const replaying = spool.replay(10, async (batch) => {
      sendStarted();
      await finish;
      return [batch[1]!]; // the second document still fails
    });
    await started;
    const appending = spool.append([late]);
    finishSend();
    assert.deepEqual(await replaying, { sent: 1, kept: 1 });
    await appending;

    assert.deepEqual(ids(await drain(spool)), ids([first[1]!, late]));
  });

  it('a send that throws leaves every document in the spool', async () => {
    const spool = new Spool(directory);
    const documents = [traceEvent('run-d', 0), traceEvent('run-d', 1)];
    await spool.append(documents);
    await assert.rejects(
      spool.replay(1, () => Promise.reject(new Error('engine unreachable'))),
      /engine unreachable/,
    );
    assert.deepEqual(ids(await drain(spool)), ids(documents));
  });

  it('a line cut short by a crash in the middle of an append is skipped, and the documents around it are replayed', async () => {
    const spool = new Spool(directory);
    const before = traceEvent('run-e', 0);
    const after = traceEvent('run-e', 1);
    await spool.append([before]);
    await appendFile(path.join(directory, 'spool.ndjson'), `${JSON.stringify(traceEvent('run-e', 9)).slice(0, 40)}\n`);
    await spool.append([after]);

    assert.deepEqual(ids(await drain(spool)), ids([before, after]));
    assert.equal(await spool.size(), 0);
  });
});
