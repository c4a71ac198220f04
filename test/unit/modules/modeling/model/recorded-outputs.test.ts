import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { centroidScores, prepare } from '../../../../../src/modules/modeling/model';

/**
 * What prepare() and the centroid scores gave before preparation took three passes and the scores one
 * (commit d890859), recorded from that build: a digest of the prepared matrix, kept rows, scaling and
 * column statistics, and the two scores as numbers. Both changes were meant to leave every value as it
 * was; a change of any bit of any of them changes a digest.
 */
const RECORDED: Record<string, { prepared: string; daviesBouldin: number | null; calinskiHarabasz: number | null }> = {
  '0 DROP NONE': { prepared: 'c0aea330147df251', daviesBouldin: 68.65256772031924, calinskiHarabasz: 1.0293292431332997 },
  '0 DROP STANDARD': { prepared: '768108356b8faa87', daviesBouldin: 41.89241029006915, calinskiHarabasz: 1.0601661467546555 },
  '0 DROP MINMAX': { prepared: '2393d6b7235a4899', daviesBouldin: 41.96684769733443, calinskiHarabasz: 1.0592323267991164 },
  '0 MEAN NONE': { prepared: 'c0aea330147df251', daviesBouldin: 68.65256772031924, calinskiHarabasz: 1.0293292431332997 },
  '0 MEAN STANDARD': { prepared: '768108356b8faa87', daviesBouldin: 41.89241029006915, calinskiHarabasz: 1.0601661467546555 },
  '0 MEAN MINMAX': { prepared: '2393d6b7235a4899', daviesBouldin: 41.96684769733443, calinskiHarabasz: 1.0592323267991164 },
  '0.02 DROP NONE': { prepared: '424950a33d0ccf9d', daviesBouldin: 138.00933660865402, calinskiHarabasz: 0.7579405824196489 },
  '0.02 DROP STANDARD': { prepared: '0f85622c6caef401', daviesBouldin: 69.0432453907734, calinskiHarabasz: 0.4406639034610553 },
  '0.02 DROP MINMAX': { prepared: '58c73433f4bbfec7', daviesBouldin: 69.18758850305433, calinskiHarabasz: 0.4401308402086804 },
  '0.02 MEAN NONE': { prepared: '0e6252185e120480', daviesBouldin: 1668.2804067869229, calinskiHarabasz: 1.1162385128179446 },
  '0.02 MEAN STANDARD': { prepared: 'f1dadaf0cd4b2691', daviesBouldin: 47.235591460850486, calinskiHarabasz: 1.2288023554112926 },
  '0.02 MEAN MINMAX': { prepared: '9c7faa3f2d0c9d67', daviesBouldin: 47.18686541615153, calinskiHarabasz: 1.2302051753912115 },
};

/** 3,000 × 5 seeded values: an ordinary column, one of magnitude 1e100 (computed in its unit), a constant one; NaN at `missingRate`. */
function table(missingRate: number): Float64Array {
  let state = 20_261_204;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const values = new Float64Array(3_000 * 5);
  for (let index = 0; index < values.length; index++) {
    const column = index % 5;
    let value = (next() - 0.5) * 10 ** (column % 4) + column;
    if (column === 1) value *= 1e100;
    if (column === 2) value = 7.25;
    if (missingRate > 0 && next() < missingRate) value = Number.NaN;
    values[index] = value;
  }
  return values;
}

const digest = (parts: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(parts, (_key, value: unknown) => (typeof value === 'number' ? (Object.is(value, -0) ? '-0' : String(value)) : value)))
    .digest('hex')
    .slice(0, 16);

describe('prepare and the centroid scores, against the values recorded before their rewrite', () => {
  for (const missingRate of [0, 0.02]) {
    for (const missing of ['DROP', 'MEAN'] as const) {
      for (const scaling of ['NONE', 'STANDARD', 'MINMAX'] as const) {
        const name = `${missingRate} ${missing} ${scaling}`;
        it(`${missingRate === 0 ? 'no value missing' : '2% missing'}, ${missing}, ${scaling}: the same matrix, scaling, statistics and scores`, () => {
          const prepared = prepare({ values: table(missingRate), rows: 3_000, columns: 5 }, { missing, scaling });
          const { matrix } = prepared;
          const recorded = RECORDED[name]!;
          assert.equal(
            digest([
              Array.from(matrix.values),
              prepared.keptRowIndexes && Array.from(prepared.keptRowIndexes),
              prepared.scaling,
              prepared.columnStats,
              prepared.rowsDropped,
            ]),
            recorded.prepared,
          );
          // Four clusters, row i in cluster i mod 4, each centroid the mean of its rows.
          const assignments = Int32Array.from({ length: matrix.rows }, (_, row) => row % 4);
          const centroids = Array.from({ length: 4 }, (_, cluster) => {
            const sum = new Array<number>(matrix.columns).fill(0);
            let count = 0;
            for (let row = cluster; row < matrix.rows; row += 4) {
              count++;
              for (let column = 0; column < matrix.columns; column++) sum[column]! += matrix.values[row * matrix.columns + column]!;
            }
            return sum.map((total) => total / count);
          });
          assert.deepEqual(centroidScores(matrix, assignments, centroids), {
            daviesBouldin: recorded.daviesBouldin,
            calinskiHarabasz: recorded.calinskiHarabasz,
          });
        });
      }
    }
  }
});
