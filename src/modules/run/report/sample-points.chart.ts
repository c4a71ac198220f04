import type { PointSample } from './point-sample';
import { CLUSTER_SCHEME, VEGA_LITE_SCHEMA, type VegaLiteSpec } from './vega-lite-spec';

/** The sampled rows on two axes, coloured by their cluster in the run. Null when there is no sample. */
export function samplePointsChart(sample: PointSample | null): VegaLiteSpec | null {
  if (!sample || sample.points.length === 0) return null;
  const rows = sample.points.map(({ entityKey, cluster, x, y }) => ({ cluster, x, y, label: `${entityKey}: cluster ${cluster}` }));
  const what = sample.kind === 'FEATURES' ? 'two features' : 'the first two principal components';
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: `A sample of ${sample.points.length} rows on ${what}, coloured by cluster`,
    data: { values: rows },
    width: 420,
    height: 420,
    mark: { type: 'point', filled: true, size: 24, opacity: 0.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { zero: false }, title: sample.xTitle },
      y: { field: 'y', type: 'quantitative', scale: { zero: false }, title: sample.yTitle },
      color: { field: 'cluster', type: 'nominal', scale: { scheme: CLUSTER_SCHEME } },
      description: { field: 'label' },
    },
  };
}
