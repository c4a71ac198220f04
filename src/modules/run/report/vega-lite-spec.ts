import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };

/** A Vega-Lite 6 spec with its data inline: the server renders it to SVG, and Kibana's Vega panels take the same JSON. */
export type VegaLiteSpec = TopLevelSpec;

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The colours of clusters (20 before they repeat), shared by every chart that colours by cluster. */
export const CLUSTER_SCHEME = 'tableau20';
