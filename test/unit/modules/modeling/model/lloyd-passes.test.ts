import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitSums } from '../../../../../src/modules/modeling/model/lloyd-passes';
import { SeededRandom } from '../../../../../src/shared/seeded-random';

describe('sharing a Lloyd pass between threads', () => {
  it("splitSums: each changed cluster's columns are owned by exactly one thread each, in contiguous ranges, about evenly by rows × columns", () => {
    const random = new SeededRandom(5);
    for (let trial = 0; trial < 200; trial++) {
      const k = 1 + random.integer(12);
      const columns = 1 + random.integer(12);
      const threads = 2 + random.integer(3);
      const counts = Int32Array.from({ length: k }, () => random.integer(1000));
      const changed = Uint8Array.from({ length: k }, () => (random.next() < 0.7 ? 1 : 0));
      const from = new Int32Array(threads * k).fill(-1);
      const to = new Int32Array(threads * k).fill(-1);
      splitSums(counts, changed, columns, threads, from, to);
      const work = new Array<number>(threads).fill(0);
      for (let c = 0; c < k; c++) {
        const owners = new Array<number>(columns).fill(0);
        for (let t = 0; t < threads; t++) {
          for (let j = from[t * k + c]!; j < to[t * k + c]!; j++) owners[j]!++;
          work[t]! += (to[t * k + c]! - from[t * k + c]!) * counts[c]!;
        }
        assert.deepStrictEqual(owners, new Array<number>(columns).fill(changed[c] ? 1 : 0), `cluster ${c}`);
      }
      const total = work.reduce((a, b) => a + b, 0);
      const largestUnit = Math.max(0, ...Array.from(counts).filter((_, c) => changed[c]));
      for (const w of work) assert.ok(Math.abs(w - total / threads) <= largestUnit, `unbalanced split ${work.join(', ')} of ${total}`);
    }
  });
});
