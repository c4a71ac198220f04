import type { ModelRunRecord } from '../run.record';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './vega-lite-spec';

/**
 * The chosen model's centroids in the features' own units (ModelRun.centroids.original, as GraphQL
 * returns them), cluster × feature. A cell's colour places the value between the lowest and highest
 * centroid of its feature, since features have units of their own; its text and label give the value.
 */
export function centroidHeatmapChart(run: Pick<ModelRunRecord, 'centroids' | 'params'>): VegaLiteSpec | null {
  if (!run.centroids || run.centroids.length === 0) return null;
  const features = run.params.featureColumns;
  const rows = run.centroids.flatMap((centroid) =>
    centroid.original.map((value, index) => {
      const column = run.centroids!.map((other) => other.original[index]!);
      const low = Math.min(...column);
      const high = Math.max(...column);
      return {
        cluster: centroid.cluster,
        // The index keeps two features apart even if their names print alike.
        feature: `${index + 1}. ${features[index] ?? ''}`,
        value,
        relative: high === low ? 0.5 : (value - low) / (high - low),
        text: formatValue(value),
        label: `cluster ${centroid.cluster}, feature ${index}: ${value}`,
      };
    }),
  );
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: 'Centroids in original units (colour: low to high among the centroids of each feature)',
    data: { values: rows },
    width: { step: Math.max(60, Math.min(110, 640 / Math.max(1, features.length))) },
    height: { step: 28 },
    encoding: {
      x: { field: 'feature', type: 'nominal', sort: null, axis: { labelAngle: -30, labelLimit: 160 }, title: null },
      y: { field: 'cluster', type: 'ordinal', title: 'cluster' },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: { field: 'relative', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, legend: null },
          description: { field: 'label' },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'text' },
          color: { condition: { test: 'datum.relative > 0.6', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** Four significant digits for the cell's text; the label keeps the exact value. */
function formatValue(value: number): string {
  return Math.abs(value) >= 1e6 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(3) : String(Number(value.toPrecision(4)));
}
