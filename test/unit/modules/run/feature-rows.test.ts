import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createMatrix } from '../../../../src/modules/modeling/model';

import { LloydThreads } from '../../../../src/modules/modeling/model/lloyd-threads';
import { adoptMemory, memoryOf } from '../../../../src/modules/modeling/model/wasm/shared-memory';
import { FeatureRows } from '../../../../src/modules/run/feature-rows';

/**
 * A run's matrix is read into FeatureRows, a shared WebAssembly memory grown in place: the worker that
 * clusters it, the Lloyd engine's helper threads and their WebAssembly kernel then read it where it is.
 * Had it stayed a plain SharedArrayBuffer, the engine would copy it once (800 MB at 10M × 10).
 */
describe('FeatureRows', () => {
  const COLUMNS = 3;
  const ROWS = 300_000; // several grows of 65,536 rows

  /** Fills rows as the reader does, batch by batch, each value telling its row and column. */
  function filled(rows = ROWS): FeatureRows {
    const matrix = new FeatureRows(COLUMNS);
    for (let start = 0; start < rows; start += 10_000) {
      const end = Math.min(rows, start + 10_000);
      const values = matrix.ensureRows(end);
      for (let row = start; row < end; row++) for (let column = 0; column < COLUMNS; column++) values[row * COLUMNS + column] = row + column / 10;
    }
    return matrix;
  }

  it('keeps every value written across its grows, and views exactly rows × columns of them', () => {
    const matrix = filled();
    const view = matrix.view(ROWS);
    assert.equal(view.length, ROWS * COLUMNS);
    for (let row = 0; row < ROWS; row++) for (let column = 0; column < COLUMNS; column++) assert.equal(view[row * COLUMNS + column], row + column / 10);
  });

  it('lives in a shared WebAssembly memory the Lloyd engine reads in place, without a copy', () => {
    const matrix = filled();
    const view = matrix.view(ROWS);
    assert.ok(matrix.memory, 'a WebAssembly memory');
    assert.equal(memoryOf(view.buffer), matrix.memory);
    const source = createMatrix(view, ROWS, COLUMNS);
    const threads = LloydThreads.open(source, 2, { minRows: 0 });
    assert.ok(threads, 'threads opened');
    try {
      assert.equal(threads.matrix, source, 'the engine works on the matrix itself, not a copy');
    } finally {
      threads.close();
    }
  });

  it('another thread handed the memory reads the same values in place and finds it as a WebAssembly memory', async () => {
    const matrix = filled(100_000);
    const view = matrix.view(100_000);
    const module = path.resolve(__dirname, '../../../../src/modules/modeling/model/wasm/shared-memory.js');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { adoptMemory, memoryOf } = require(${JSON.stringify(module)});
      const values = new Float64Array(adoptMemory(workerData.memory), 0, workerData.length);
      const found = memoryOf(values.buffer) === workerData.memory;
      let sum = 0;
      for (let index = 0; index < values.length; index++) sum += values[index];
      values[0] = -1; // written there, seen here
      parentPort.postMessage({ found, sum });
    `;
    const worker = new Worker(code, { eval: true, workerData: { memory: matrix.memory, length: view.length } });
    const answer = await new Promise<{ found: boolean; sum: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    let sum = 0;
    for (let index = 0; index < view.length; index++) sum += index === 0 ? 0 : view[index]!;
    assert.equal(answer.found, true);
    assert.equal(answer.sum, sum, 'the same values (the first one was 0)');
    assert.equal(view[0], -1, 'one memory, not a copy');
    assert.equal(memoryOf(adoptMemory(matrix.memory!)), matrix.memory);
  });
});
