import type { ModelRunRecord } from '../run.record';
import { CLUSTER_SCHEME, VEGA_LITE_SCHEMA, type VegaLiteSpec } from './vega-lite-spec';

/** One bar per cluster of the chosen model: the rows assigned to it. Null until the run has a model. */
export function clusterSizesChart(run: Pick<ModelRunRecord, 'clusterSizes'>): VegaLiteSpec | null {
  if (!run.clusterSizes || run.clusterSizes.length === 0) return null;
  const rows = run.clusterSizes.map((size, cluster) => ({ cluster, size, label: `cluster ${cluster}: ${size} rows` }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: 'Cluster sizes (rows)',
    data: { values: rows },
    width: { step: 36 },
    height: 220,
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'cluster', type: 'ordinal', axis: { labelAngle: 0 } },
      y: { field: 'size', type: 'quantitative', title: 'rows' },
      color: { field: 'cluster', type: 'nominal', scale: { scheme: CLUSTER_SCHEME }, legend: null },
      description: { field: 'label' },
    },
  };
}
