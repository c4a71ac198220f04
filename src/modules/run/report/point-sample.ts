/** What the points chart plots: a seeded sample of the dataset's rows with their clusters, on two axes. */
export interface PointSample {
  /** FEATURES: two features chosen by the caller; PRINCIPAL_COMPONENTS: the sample's first two. */
  readonly kind: 'FEATURES' | 'PRINCIPAL_COMPONENTS';
  /** The axes' titles: the features' names, or "PC1 (62.1% of variance)". */
  readonly xTitle: string;
  readonly yTitle: string;
  /** The sample's size bound (the `sample` parameter). */
  readonly limit: number;
  /** Rows read that could be plotted (a number in every column needed); the sample was drawn from them. */
  readonly eligibleRows: number;
  /** In the dataset's key order. */
  readonly points: readonly SamplePoint[];
}

export interface SamplePoint {
  readonly entityKey: string;
  readonly cluster: number;
  readonly x: number;
  readonly y: number;
}
