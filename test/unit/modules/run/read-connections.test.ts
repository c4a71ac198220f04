import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readConnectionsPerRun } from '../../../../src/modules/run/dataset-reader';

describe('connections a run reads its dataset on (RUN_READ_CONNECTIONS within the pool)', () => {
  it('the default pool of 4 with one run at a time: 2 as asked, at most 3', () => {
    assert.equal(readConnectionsPerRun(2, 4, 1), 2);
    assert.equal(readConnectionsPerRun(8, 4, 1), 3);
  });

  it('runs computing at once share the pool, one connection left for the API', () => {
    assert.equal(readConnectionsPerRun(2, 4, 2), 1, '(4 − 1) / 2 = 1.5: one each');
    assert.equal(readConnectionsPerRun(2, 9, 4), 2);
    assert.equal(readConnectionsPerRun(4, 9, 2), 4);
  });

  it('never below one, even with a pool of one or more runs than connections', () => {
    assert.equal(readConnectionsPerRun(2, 1, 1), 1);
    assert.equal(readConnectionsPerRun(2, 2, 8), 1);
    assert.equal(readConnectionsPerRun(1, 128, 1), 1);
  });
});
