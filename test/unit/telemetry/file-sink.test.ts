import assert from 'node:assert/strict';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FileSink } from '../../../src/telemetry/file-sink';
import type { TraceDocument } from '../../../src/telemetry/trace-document';
import { FileTraceReader, type TraceFileAccess } from '../../../src/telemetry/trace-reader';
import { eventually, temporaryDirectory, traceEvent } from './fixtures';

/** A trace event whose NDJSON line (newline included) is exactly `bytes` long. */
function eventOfLineSize(runId: string, sequence: number, bytes: number): TraceDocument {
  const base = { ...traceEvent(runId, sequence), message: '' };
  const padding = bytes - Buffer.byteLength(`${JSON.stringify(base)}\n`);
  assert.ok(padding >= 0, `a line of ${bytes} bytes is too short for a document`);
  return { ...base, message: 'x'.repeat(padding) };
}

/** The trace files of the folder, in the order the day and the numeric sequence give. */
async function traceFiles(directory: string): Promise<string[]> {
  const sequenceOf = (name: string) => Number(/\.(\d+)\.ndjson$/.exec(name)![1]);
  return (await readdir(directory)).filter((name) => name.startsWith('trace-')).sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

async function linesOf(directory: string, name: string): Promise<unknown[]> {
  const text = await readFile(path.join(directory, name), 'utf8');
  assert.ok(text.endsWith('\n'), `${name} ends with a newline`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

describe('FileSink', () => {
  let directory: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ directory, remove } = await temporaryDirectory('file-sink'));
  });

  afterEach(async () => {
    await remove();
  });

  it('writes one JSON object per line to trace-<UTC day>.0.ndjson, creating the folder', async () => {
    const folder = path.join(directory, 'trace');
    const sink = new FileSink(folder, 1_000_000);
    const documents = [traceEvent('run-a', 0), traceEvent('run-a', 1, 'k-evaluated'), traceEvent('run-a', 2)];
    assert.deepEqual(await sink.write(documents.slice(0, 2)), { retryable: [], rejected: [] });
    assert.deepEqual(await sink.write(documents.slice(2)), { retryable: [], rejected: [] });
    const files = await traceFiles(folder);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^trace-\d{4}-\d{2}-\d{2}\.0\.ndjson$/);
    assert.deepEqual(await linesOf(folder, files[0]!), documents);
  });

  it('rolls over to .1 when the next write would take the file past maxBytes; a batch is never split', async () => {
    const sink = new FileSink(directory, 2_000);
    const [a, b, c, d] = [0, 1, 2, 3].map((sequence) => eventOfLineSize('run-b', sequence, 800));
    await sink.write([a!, b!]); // 1,600 bytes
    await sink.write([c!, d!]); // 1,600 more: past 2,000, so a new file gets both
    const files = await traceFiles(directory);
    assert.equal(files.length, 2);
    assert.match(files[1]!, /\.1\.ndjson$/);
    assert.equal(files[0]!.replace(/\.0\.ndjson$/, ''), files[1]!.replace(/\.1\.ndjson$/, ''), 'same day');
    assert.deepEqual(await linesOf(directory, files[0]!), [a, b]);
    assert.deepEqual(await linesOf(directory, files[1]!), [c, d]);
  });

  it('after a restart a new FileSink continues the newest file, even when an older one still has room', async () => {
    const first = new FileSink(directory, 2_000);
    const [a, b, c] = [0, 1, 2].map((sequence) => eventOfLineSize('run-c', sequence, 800));
    await first.write([a!, b!]); // .0: 1,600 bytes
    await first.write([c!]); // would be 2,400: .1
    const small = eventOfLineSize('run-c', 3, 390); // would still fit in .0 (1,990 bytes)

    const restarted = new FileSink(directory, 2_000);
    await restarted.write([small]);
    const files = await traceFiles(directory);
    assert.equal(files.length, 2);
    assert.deepEqual(await linesOf(directory, files[0]!), [a, b]);
    assert.deepEqual(await linesOf(directory, files[1]!), [c, small]);

    // The restarted sink counts the bytes already in the file it continued: 1,190 + 900 passes 2,000.
    const big = eventOfLineSize('run-c', 4, 900);
    await restarted.write([big]);
    const after = await traceFiles(directory);
    assert.equal(after.length, 3);
    assert.deepEqual(await linesOf(directory, after[2]!), [big]);
  });

  it("also writes each run's events to runs/<run id>.ndjson, in order; run summaries and documents of no run only to the daily file", async () => {
    const sink = new FileSink(directory, 1_000_000);
    const [a0, a1, b0] = [traceEvent('run-a', 0), traceEvent('run-a', 1, 'iteration'), traceEvent('run-b', 0)];
    const summary: TraceDocument = { ...a0, _id: 'run-a', _target: 'runs', event: { ...a0.event, action: 'run-summary' } };
    const { trace: _none, ...operation } = { ...traceEvent('unused', 5, 'graphql-operation') };
    await sink.write([a0, b0, summary, operation]);
    await sink.write([a1]);
    assert.deepEqual(await linesOf(path.join(directory, 'runs'), 'run-a.ndjson'), [a0, a1]);
    assert.deepEqual(await linesOf(path.join(directory, 'runs'), 'run-b.ndjson'), [b0]);
    assert.deepEqual((await readdir(path.join(directory, 'runs'))).sort(), ['run-a.ndjson', 'run-b.ndjson']);
    const [daily] = await traceFiles(directory);
    assert.deepEqual(await linesOf(directory, daily!), [a0, b0, summary, operation, a1]);
  });

  it('after a restart whose newest file is full, the next write starts the next sequence', async () => {
    const first = new FileSink(directory, 1_600);
    const [a, b] = [0, 1].map((sequence) => eventOfLineSize('run-d', sequence, 800));
    await first.write([a!, b!]); // exactly 1,600: full
    const c = eventOfLineSize('run-d', 2, 400);
    await new FileSink(directory, 1_600).write([c]);
    const files = await traceFiles(directory);
    assert.equal(files.length, 2);
    assert.deepEqual(await linesOf(directory, files[1]!), [c]);
  });
});

describe('FileTraceReader', () => {
  let directory: string;
  let remove: () => Promise<void>;
  const runId = 'run-reader-1';
  const otherRunId = 'run-reader-2';
  const actions = ['run-started', 'preparation', 'iteration', 'iteration', 'iteration', 'k-evaluated', 'iteration', 'cluster', 'run-succeeded'] as const;
  let ofTheRun: TraceDocument[];

  beforeEach(async () => {
    ({ directory, remove } = await temporaryDirectory('trace-reader'));
    // Documents of the run outside its run file are not its trace file's: never read.
    await writeFile(path.join(directory, 'trace-2000-01-01.7.ndjson'), `${JSON.stringify(traceEvent(runId, 0, 'run-started'))}\n`);
    await writeFile(path.join(directory, 'notes.txt'), `${JSON.stringify(traceEvent(runId, 99, 'iteration'))}\n`);
    ofTheRun = [];
    // maxBytes 1: every write starts a new daily file; the run's own file gets every write.
    const sink = new FileSink(directory, 1);
    for (const [index, action] of actions.entries()) {
      const mine = traceEvent(runId, index + 1, action);
      ofTheRun.push(mine);
      const batch: TraceDocument[] = [traceEvent(otherRunId, index + 1, action), mine];
      // The run summary shares the trace id but is not a trace event.
      if (index === 4) batch.push({ ...mine, _id: runId, _target: 'runs', event: { ...mine.event, action: 'run-summary' } });
      await sink.write(batch);
    }
    await sink.write([traceEvent(otherRunId, 50), traceEvent(otherRunId, 51)]);
    await sink.write([traceEvent(otherRunId, 52)]);
    assert.ok((await traceFiles(directory)).length >= 11);
  });

  afterEach(async () => {
    await remove();
  });

  const idsOf = (documents: readonly TraceDocument[]) => documents.map((document) => document._id);

  it("returns the run's trace events in the order they were written, from the run's own file, and nothing else", async () => {
    const page = await new FileTraceReader(directory).read(runId, null, 0, 100);
    assert.deepEqual(idsOf(page.documents), idsOf(ofTheRun));
    assert.ok(page.documents.every((document) => document._target === 'events' && document.trace?.id === runId));
  });

  it('an actions filter keeps only those actions, in order', async () => {
    const page = await new FileTraceReader(directory).read(runId, ['iteration', 'cluster'], 0, 100);
    const expected = ofTheRun.filter((document) => ['iteration', 'cluster'].includes(document.event.action));
    assert.equal(expected.length, 5);
    assert.deepEqual(idsOf(page.documents), idsOf(expected));
  });

  it('an empty actions filter matches no document, as every list filter of the graph; null means every action', async () => {
    const reader = new FileTraceReader(directory);
    assert.deepEqual((await reader.read(runId, [], 0, 100)).documents, []);
    assert.equal(await reader.count(runId, []), 0);
    assert.equal((await reader.read(runId, null, 0, 100)).documents.length, ofTheRun.length);
  });

  it('offset skips matching documents and at most limit + 1 come back, so the caller sees whether more follow', async () => {
    const reader = new FileTraceReader(directory);
    const middle = await reader.read(runId, null, 2, 3);
    assert.deepEqual(idsOf(middle.documents), idsOf(ofTheRun.slice(2, 6)));

    const last = await reader.read(runId, null, ofTheRun.length - 2, 3);
    assert.deepEqual(idsOf(last.documents), idsOf(ofTheRun.slice(-2)));

    const iterations = ofTheRun.filter((document) => document.event.action === 'iteration');
    const filtered = await reader.read(runId, ['iteration'], 1, 2);
    assert.deepEqual(idsOf(filtered.documents), idsOf(iterations.slice(1, 4)));

    assert.deepEqual((await reader.read(runId, null, ofTheRun.length, 3)).documents, []);
  });

  it('a line cut short by a crash is skipped instead of failing the read, and a line written twice is read once', async () => {
    const whole = JSON.stringify(traceEvent(runId, 77, 'iteration'));
    const torn = whole.slice(0, whole.lastIndexOf(runId) + runId.length);
    assert.ok(torn.includes(runId));
    await appendFile(path.join(directory, 'runs', `${runId}.ndjson`), `${torn}\n${JSON.stringify(ofTheRun[2])}\n`);
    const page = await new FileTraceReader(directory).read(runId, null, 0, 100);
    assert.deepEqual(idsOf(page.documents), idsOf(ofTheRun));
  });

  it('with 24 MB of other trace files beside it, reading one run opens only its own file and reads only its bytes', async () => {
    // Other runs' documents, and this run's id in lines of the daily files: a scan would have to read them all.
    const line = `${JSON.stringify({ ...traceEvent(otherRunId, 1), message: `${runId} ${'x'.repeat(400)}` })}\n`;
    const chunk = line.repeat(Math.ceil((1024 * 1024) / line.length));
    for (let file = 0; file < 24; file++) await writeFile(path.join(directory, `trace-2001-01-${String(file + 1).padStart(2, '0')}.0.ndjson`), chunk);
    const opened: string[] = [];
    let bytesRead = 0;
    const counting: TraceFileAccess = {
      createReadStream(file) {
        opened.push(file);
        const stream = createReadStream(file);
        stream.on('data', (data) => (bytesRead += data.length));
        return stream;
      },
    };
    const page = await new FileTraceReader(directory, counting).read(runId, null, 0, 100);
    assert.deepEqual(idsOf(page.documents), idsOf(ofTheRun));
    const ownFile = path.join(directory, 'runs', `${runId}.ndjson`);
    assert.deepEqual(opened, [ownFile]);
    assert.equal(bytesRead, statSync(ownFile).size);
  });

  it('a run id that cannot name a file (a path, dots) reads as no documents and opens nothing', async () => {
    const opened: string[] = [];
    const reader = new FileTraceReader(directory, { createReadStream: (file) => (opened.push(file), createReadStream(file)) });
    for (const id of ['../trace-2000-01-01.7', 'runs/x', '', 'a.b']) assert.deepEqual((await reader.read(id, null, 0, 10)).documents, []);
    assert.deepEqual(opened, []);
  });

  it(
    'a page that stops early closes the file it stopped in (no descriptor left open per read)',
    { skip: !existsSync('/proc/self/fd') && 'needs /proc/self/fd' },
    async () => {
      const openDescriptors = () => readdirSync('/proc/self/fd').length;
      const reader = new FileTraceReader(directory);
      await reader.read(runId, null, 0, 1);
      const before = openDescriptors();
      for (let read = 0; read < 40; read++) assert.equal((await reader.read(runId, null, 0, 1)).documents.length, 2);
      await eventually(() => openDescriptors() <= before + 2, `open descriptors back to about ${before} (now ${openDescriptors()})`);
    },
  );

  it('a folder that does not exist, or a run without a file, reads as no documents', async () => {
    assert.deepEqual((await new FileTraceReader(path.join(directory, 'missing')).read(runId, null, 0, 10)).documents, []);
    assert.deepEqual((await new FileTraceReader(directory).read('run-never-traced', null, 0, 10)).documents, []);
  });
});
