import type { SeededRandom } from '../../../shared/seeded-random';
import { rowView, selectRows, squaredDistanceBetweenRows, type Matrix } from './matrix';
import { sampleIndexes } from './sampling';

// Initial centroids, computed here rather than by ml-kmeans, whose k-means++ builds a candidates × n
// distance matrix over all rows (> 10 s at 1M rows); only our SeededRandom is used, so a seed fixes them.

/** k distinct row INDEXES chosen uniformly (rows with equal values may still coincide). */
export function randomRowsInitialization(matrix: Matrix, k: number, random: SeededRandom): number[][] {
  return Array.from(sampleIndexes(matrix.rows, k, random), (i) => Array.from(rowView(matrix, i)));
}

/**
 * Greedy k-means++ (D² sampling, as scikit-learn's default): the first centre is a uniform pick; each
 * next one is the best, by resulting potential (sum of squared distances to the nearest centre), of
 * 2 + floor(ln k) candidates drawn with probability proportional to D², the squared distance to the
 * nearest centre so far.
 *
 * It runs on a uniform sample of at most max(sampleSize, k) rows, not on all rows: seeding costs
 * O(sample × k × trials × columns), independent of the table size. If the sample has fewer distinct
 * points than k, the potential reaches 0 and the remaining centres are uniform picks (duplicates);
 * the duplicate centres then end up with empty clusters (size 0).
 */
export function kMeansPlusPlusInitialization(matrix: Matrix, k: number, random: SeededRandom, sampleSize: number): number[][] {
  const sample = selectRows(matrix, sampleIndexes(matrix.rows, Math.max(sampleSize, k), random));
  const m = sample.rows;
  const trials = 2 + Math.floor(Math.log(k));

  const first = random.integer(m);
  const centres = [first];
  let closest = new Float64Array(m); // D²: squared distance of each sample row to its nearest centre
  let potential = 0;
  for (let i = 0; i < m; i++) potential += closest[i] = squaredDistanceBetweenRows(sample, i, first);

  let candidateDist = new Float64Array(m);
  let bestDist = new Float64Array(m);
  while (centres.length < k) {
    let best = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const candidate = potential > 0 ? drawProportional(closest, potential, random) : random.integer(m);
      let candidatePotential = 0;
      for (let i = 0; i < m; i++) {
        const d = Math.min(closest[i]!, squaredDistanceBetweenRows(sample, i, candidate));
        candidateDist[i] = d;
        candidatePotential += d;
      }
      if (candidatePotential < bestPotential) {
        best = candidate;
        bestPotential = candidatePotential;
        [bestDist, candidateDist] = [candidateDist, bestDist]; // keep the best distances, reuse the other buffer
      }
    }
    centres.push(best);
    [closest, bestDist] = [bestDist, closest];
    potential = bestPotential;
  }
  return centres.map((i) => Array.from(rowView(sample, i)));
}

/** An index drawn with probability weights[i] / total (total = sum of the non-negative weights). */
function drawProportional(weights: Float64Array, total: number, random: SeededRandom): number {
  const target = random.next() * total;
  let cumulative = 0;
  let lastPositive = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i]! <= 0) continue;
    cumulative += weights[i]!;
    lastPositive = i;
    if (cumulative > target) return i;
  }
  return lastPositive; // only reached through rounding: cumulative ended a hair below total
}
