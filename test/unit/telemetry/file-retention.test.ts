import assert from 'node:assert/strict';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sweepTraceFiles } from '../../../src/telemetry/file-retention';
import { FileSink } from '../../../src/telemetry/file-sink';
import { eventually, temporaryDirectory, traceEvent } from './fixtures';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;

/** Writes `bytes` bytes to `name` under the folder, last written `daysAgo` days before NOW. */
async function fileDated(directory: string, name: string, daysAgo: number, bytes = 100): Promise<string> {
  const file = path.join(directory, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, 'x'.repeat(bytes));
  const when = new Date(NOW.getTime() - daysAgo * DAY_MS);
  await utimes(file, when, when);
  return file;
}

/** Every file under the folder, relative, sorted. */
async function remaining(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)))
    .sort();
}

describe('trace file retention', () => {
  let directory: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ directory, remove } = await temporaryDirectory('trace-retention'));
  });

  afterEach(async () => {
    await remove();
  });

  it('deletes daily and run files last written more than maxAgeDays ago; newer ones, the spool and other files stay', async () => {
    await fileDated(directory, 'trace-2026-11-01.0.ndjson', 32);
    await fileDated(directory, 'trace-2026-11-18.3.ndjson', 15);
    await fileDated(directory, 'trace-2026-11-20.0.ndjson', 13);
    await fileDated(directory, 'trace-2026-12-03.0.ndjson', 0);
    await fileDated(directory, 'runs/old-run.ndjson', 20);
    await fileDated(directory, 'runs/recent-run.ndjson', 1);
    await fileDated(directory, 'spool/spool.ndjson', 40);
    await fileDated(directory, 'notes.txt', 40);

    const deleted = await sweepTraceFiles(directory, { maxAgeDays: 14, maxTotalBytes: 0 }, NOW);
    assert.deepEqual(deleted.map((file) => path.relative(directory, file)).sort(), [
      'runs/old-run.ndjson',
      'trace-2026-11-01.0.ndjson',
      'trace-2026-11-18.3.ndjson',
    ]);
    assert.deepEqual(await remaining(directory), [
      'notes.txt',
      'runs/recent-run.ndjson',
      'spool/spool.ndjson',
      'trace-2026-11-20.0.ndjson',
      'trace-2026-12-03.0.ndjson',
    ]);
  });

  it('past maxTotalBytes, deletes the files last written longest ago until the rest fit, never the file in use', async () => {
    await fileDated(directory, 'trace-2026-11-28.0.ndjson', 5, 400); // oldest, but in use: kept
    await fileDated(directory, 'runs/a.ndjson', 4, 300);
    await fileDated(directory, 'trace-2026-11-30.0.ndjson', 3, 300);
    await fileDated(directory, 'runs/b.ndjson', 2, 300);
    await fileDated(directory, 'trace-2026-12-03.0.ndjson', 0, 300);
    const inUse = path.join(directory, 'trace-2026-11-28.0.ndjson');

    // 1,600 bytes against a cap of 1,000: a (300) and then the 11-30 file (300) go; 1,000 remain.
    const deleted = await sweepTraceFiles(directory, { maxAgeDays: 0, maxTotalBytes: 1_000 }, NOW, inUse);
    assert.deepEqual(
      deleted.map((file) => path.relative(directory, file)),
      ['runs/a.ndjson', 'trace-2026-11-30.0.ndjson'],
    );
    assert.deepEqual(await remaining(directory), ['runs/b.ndjson', 'trace-2026-11-28.0.ndjson', 'trace-2026-12-03.0.ndjson']);
  });

  it('0 days and 0 bytes keep everything', async () => {
    await fileDated(directory, 'trace-2000-01-01.0.ndjson', 9_000, 5_000);
    await fileDated(directory, 'runs/r.ndjson', 9_000, 5_000);
    assert.deepEqual(await sweepTraceFiles(directory, { maxAgeDays: 0, maxTotalBytes: 0 }, NOW), []);
    assert.equal((await remaining(directory)).length, 2);
  });

  it('a FileSink with a retention policy applies it when it starts, then periodically, sparing the file it writes', async () => {
    const old = await fileDated(directory, 'trace-2026-10-01.0.ndjson', 63);
    const sink = new FileSink(directory, 1_000_000, { maxAgeDays: 7, maxTotalBytes: 0, intervalMs: 20, now: () => NOW });
    try {
      sink.start();
      await eventually(async () => !(await remaining(directory)).includes(path.basename(old)), 'the old file deleted at start');

      // Written now (today's daily file and the run's own file), then dated in the past: the next
      // periodic pass deletes the run file; the daily file is the one in use and stays.
      await sink.write([traceEvent('run-r', 0)]);
      const files = await remaining(directory);
      const daily = files.find((name) => name.startsWith('trace-'))!;
      assert.ok(files.includes('runs/run-r.ndjson'), JSON.stringify(files));
      const longAgo = new Date(NOW.getTime() - 30 * DAY_MS);
      for (const name of [daily, 'runs/run-r.ndjson']) await utimes(path.join(directory, name), longAgo, longAgo);
      await eventually(async () => !(await remaining(directory)).includes('runs/run-r.ndjson'), 'the aged run file deleted by a later pass');
      assert.deepEqual(await remaining(directory), [daily]);
    } finally {
      await sink.close();
    }
  });
});
