/**
 * The first two principal components of rows × columns values (row-major): each column centred and
 * divided by its standard deviation (a constant column contributes nothing), then projected on the two
 * eigenvectors of their covariance with the largest eigenvalues. Each vector's sign is fixed (its largest
 * component positive), so the same rows always give the same picture.
 */
export function firstTwoComponents(
  values: Float64Array,
  rows: number,
  columns: number,
): { x: Float64Array; y: Float64Array; explained: readonly [number, number] } {
  const mean = new Float64Array(columns);
  const deviation = new Float64Array(columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) mean[c]! += values[r * columns + c]! / rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) deviation[c]! += (values[r * columns + c]! - mean[c]!) ** 2 / rows;
  const standardized = new Float64Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const sd = Math.sqrt(deviation[c]!);
      standardized[r * columns + c] = sd > 0 ? (values[r * columns + c]! - mean[c]!) / sd : 0;
    }
  }
  const covariance = Array.from({ length: columns }, () => new Float64Array(columns));
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < columns; i++) {
      for (let j = i; j < columns; j++) covariance[i]![j]! += (standardized[r * columns + i]! * standardized[r * columns + j]!) / rows;
    }
  }
  for (let i = 0; i < columns; i++) for (let j = 0; j < i; j++) covariance[i]![j] = covariance[j]![i]!;
  const { eigenvalues, eigenvectors } = symmetricEigen(covariance);
  const order = Array.from(eigenvalues.keys()).sort((a, b) => eigenvalues[b]! - eigenvalues[a]! || a - b);
  const total = eigenvalues.reduce((sum, value) => sum + Math.max(0, value), 0);
  const project = (component: number | undefined) => {
    const projected = new Float64Array(rows);
    if (component === undefined) return projected;
    const vector = Array.from({ length: columns }, (_, c) => eigenvectors[c]![component]!);
    const largest = vector.reduce((best, value) => (Math.abs(value) > Math.abs(best) ? value : best), 0);
    const sign = largest < 0 ? -1 : 1;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < columns; c++) sum += standardized[r * columns + c]! * vector[c]! * sign;
      projected[r] = sum;
    }
    return projected;
  };
  const share = (component: number | undefined) => (component === undefined || total === 0 ? 0 : Math.max(0, eigenvalues[component]!) / total);
  return { x: project(order[0]), y: project(order[1]), explained: [share(order[0]), share(order[1])] };
}

/** Cyclic Jacobi rotations: eigenvalues and eigenvectors (as columns) of a small symmetric matrix. */
function symmetricEigen(matrix: readonly Float64Array[]): { eigenvalues: number[]; eigenvectors: Float64Array[] } {
  const n = matrix.length;
  const a = matrix.map((row) => Float64Array.from(row));
  const v = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let offDiagonal = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) offDiagonal += a[p]![q]! ** 2;
    if (offDiagonal < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p]![q]!) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * a[p]![q]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { eigenvalues: a.map((row, i) => row[i]!), eigenvectors: v };
}
