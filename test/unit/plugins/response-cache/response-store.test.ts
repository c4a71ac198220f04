import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseStore, type KeptAnswer } from '../../../../src/plugins/response-cache/response-store';

const answer = (generation: number, at: number, data: Record<string, unknown> = { n: generation }): KeptAnswer => ({ generation, at, data, runIds: [] });

describe('ResponseStore', () => {
  it('gives an answer back only at its generation and no older than asked', () => {
    const store = new ResponseStore(10, 1_000_000);
    store.set('a', answer(3, 1_000, { runs: ['x'] }));
    assert.deepEqual(store.get('a', 3, 1_000)?.data, { runs: ['x'] });
    assert.equal(store.get('a', 4, 0), undefined, 'a later generation retires it');
    assert.equal(store.get('a', 3, 0), undefined, 'and it is gone');
    store.set('b', answer(1, 1_000));
    assert.equal(store.get('b', 1, 1_001), undefined, 'older than notBefore');
    assert.equal(store.size, 0);
  });

  it('drops the least recently used past its entry bound', () => {
    const store = new ResponseStore(2, 1_000_000);
    store.set('a', answer(1, 1));
    store.set('b', answer(1, 1));
    assert.ok(store.get('a', 1, 0), 'a used: b is now the oldest');
    store.set('c', answer(1, 1));
    assert.deepEqual([store.get('b', 1, 0), !!store.get('a', 1, 0), !!store.get('c', 1, 0)], [undefined, true, true]);
  });

  it('stays within its character bound, and does not keep an answer larger than a quarter of it', () => {
    const store = new ResponseStore(100, 400);
    const text = 'é'.repeat(60);
    for (const key of ['k1', 'k2', 'k3', 'k4', 'k5', 'k6']) store.set(key, answer(1, 1, { text }));
    // Each takes 2 + 71 characters: five fit in 400.
    assert.equal(store.size, 5);
    assert.equal(store.get('k1', 1, 0), undefined, 'the oldest went');
    store.set('big', answer(1, 1, { text: 'x'.repeat(100) }));
    assert.equal(store.get('big', 1, 0), undefined);
  });
});
