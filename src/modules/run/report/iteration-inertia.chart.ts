import type { ModelRunWithHistory } from '../run.record';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './vega-lite-spec';

/** The series name of one restart of one k, as the chart labels its line. */
export function iterationSeries(k: number, restart: number): string {
  return `k ${k}, restart ${restart}`;
}

/**
 * Inertia at each iteration, one line per k and restart (iterations start again at 1 for each), coloured
 * by k. Inertia is in the scaled units the clustering used. Null before any iteration is recorded.
 */
export function iterationInertiaChart(run: Pick<ModelRunWithHistory, 'iterations'>): VegaLiteSpec | null {
  if (!run.iterations || run.iterations.length === 0) return null;
  const rows = run.iterations.map(({ k, restart, iteration, inertia }) => ({ k, iteration, inertia, series: iterationSeries(k, restart) }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: 'Inertia per iteration (scaled units), one line per k and restart',
    data: { values: rows },
    width: 520,
    height: 260,
    mark: { type: 'line', strokeWidth: 1.5, opacity: 0.8 },
    encoding: {
      x: { field: 'iteration', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'inertia', type: 'quantitative', scale: { zero: false } },
      color: { field: 'k', type: 'ordinal', scale: { scheme: 'tableau10' } },
      detail: { field: 'series', type: 'nominal' },
      description: { field: 'series' },
    },
  };
}
