import type { ModelRunRecord } from '../run.record';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './vega-lite-spec';

const SCORES = [
  { field: 'inertia', title: 'Inertia (elbow; lower is tighter)' },
  { field: 'silhouette', title: 'Silhouette (higher is better)' },
  { field: 'daviesBouldin', title: 'Davies–Bouldin (lower is better)' },
  { field: 'calinskiHarabasz', title: 'Calinski–Harabasz (higher is better)' },
] as const;

interface ScoreRow {
  readonly k: number;
  readonly score: string;
  readonly value: number;
  readonly chosen: boolean;
  /** What the point says to a screen reader (its aria-label), the value in full. */
  readonly label: string;
}

/**
 * The four scores of every k tried, one panel each, with a rule at the chosen k. A run with one k has no
 * kSelection: its metrics are that k's scores. Null when the run has no scores yet.
 */
export function scorePerKChart(run: Pick<ModelRunRecord, 'kSelection' | 'metrics' | 'params'>): VegaLiteSpec | null {
  const chosenK = run.kSelection?.chosenK ?? run.params.k ?? null;
  const scores = run.kSelection?.scores ?? (run.metrics && chosenK !== null ? [{ ...run.metrics, k: chosenK }] : []);
  if (scores.length === 0 || chosenK === null) return null;
  const rows: ScoreRow[] = scores.flatMap((score) =>
    SCORES.flatMap(({ field, title }) => {
      const value = score[field];
      return value === null || value === undefined
        ? []
        : [{ k: score.k, score: title, value, chosen: score.k === chosenK, label: `k ${score.k}, ${title}: ${value}` }];
    }),
  );
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: `Scores per k (chosen k = ${chosenK})`,
    data: { values: rows },
    facet: { row: { field: 'score', type: 'nominal', sort: SCORES.map((score) => score.title), header: { title: null, labelAngle: 0, labelAlign: 'left' } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 420,
      height: 110,
      encoding: { x: { field: 'k', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' }, scale: { nice: false } } },
      layer: [
        { mark: { type: 'line' }, encoding: { y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null } } },
        {
          mark: { type: 'point', filled: true, size: 40 },
          encoding: {
            y: { field: 'value', type: 'quantitative' },
            description: { field: 'label' },
          },
        },
        {
          transform: [{ filter: 'datum.chosen' }],
          mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3], strokeWidth: 2 },
          encoding: { description: { value: `chosen k ${chosenK}` } },
        },
      ],
    },
  };
}
