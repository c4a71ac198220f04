import { exposedError } from '../../errors/exposure';
import { centroidHeatmapChart } from '../../modules/run/report/centroid-heatmap.chart';
import { clusterSizesChart } from '../../modules/run/report/cluster-sizes.chart';
import { iterationInertiaChart } from '../../modules/run/report/iteration-inertia.chart';
import type { RunReport } from '../../modules/run/report/run-report.service';
import { samplePointsChart } from '../../modules/run/report/sample-points.chart';
import { scorePerKChart } from '../../modules/run/report/score-per-k.chart';
import type { VegaLiteSpec } from '../../modules/run/report/vega-lite-spec';
import { isTerminal, type ModelRunRecord } from '../../modules/run/run.record';
import { renderSvg } from './chart-renderer';
import { escapeHtml } from './html';

interface Chart {
  /** The figure's id (chart-<name>), which tests and links use. */
  readonly name: string;
  readonly spec: VegaLiteSpec | null;
  /** What the page says while the run has no data for it. */
  readonly missing: string;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
.notice { background: #fff4d6; border: 1px solid #e6c36a; padding: 8px 12px; border-radius: 4px; }
.failed { background: #fde8e8; border-color: #e6a1a1; }
table { border-collapse: collapse; } td, th { text-align: left; padding: 2px 12px 2px 0; vertical-align: top; }
figure { margin: 16px 0 28px; }
.muted { color: #666; }
`;

/**
 * The run report page: a summary, then each chart rendered to inline SVG. Everything that comes from
 * data goes through escapeHtml here, or through Vega's own escaping inside the SVG.
 */
export async function reportPage(report: RunReport): Promise<string> {
  const { run } = report;
  const charts: Chart[] = [
    { name: 'score-per-k', spec: scorePerKChart(run), missing: 'No scores yet: they are computed once every k has been clustered.' },
    { name: 'iteration-inertia', spec: iterationInertiaChart(run), missing: 'No iterations recorded yet.' },
    { name: 'cluster-sizes', spec: clusterSizesChart(run), missing: 'No cluster sizes yet.' },
    { name: 'centroids', spec: centroidHeatmapChart(run), missing: 'No centroids yet.' },
    { name: 'sample-points', spec: samplePointsChart(report.sample), missing: sampleMissing(report) },
  ];
  const figures = await Promise.all(charts.map(figure));
  const title = `Run report: ${report.datasetName ?? run.datasetId}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1 id="dataset-name">${escapeHtml(title)}</h1>
<p class="muted">Run <code id="run-id">${escapeHtml(run.id)}</code> · status <strong id="run-status">${run.status}</strong></p>
${statusNotice(run)}
${summary(report)}
${figures.join('\n')}
${sampleNote(report)}
</body>
</html>
`;
}

async function figure(chart: Chart): Promise<string> {
  if (!chart.spec) return `<section id="chart-${chart.name}" class="chart-missing"><p class="muted">${escapeHtml(chart.missing)}</p></section>`;
  const svg = await renderSvg(chart.spec);
  // The spec's own title heads the SVG; the figure repeats it for screen readers.
  const label = typeof chart.spec.title === 'string' ? chart.spec.title : chart.name;
  return `<figure id="chart-${chart.name}" aria-label="${escapeHtml(label)}">${svg}</figure>`;
}

/** A run that has not finished is no error: the page says how far it is, and shows what exists. */
function statusNotice(run: ModelRunRecord): string {
  if (!isTerminal(run.status)) {
    const { iteration, maxIterations, fraction } = run.progress;
    return `<p class="notice" id="status-notice">This run has not finished: it is ${run.status}, iteration ${iteration} of at most ${maxIterations} (${(fraction * 100).toFixed(1)}%). The charts show what exists so far; reload the page for more.</p>`;
  }
  if (run.status === 'SUCCEEDED') return '';
  const error = run.error ? exposedError(run.error.code, run.error.message) : null;
  const why = error ? ` with ${escapeHtml(error.code)}: ${escapeHtml(error.message)}` : '';
  return `<p class="notice failed" id="status-notice">This run ended ${run.status}${why}. The charts show what it recorded.</p>`;
}

function summary({ run, datasetName }: RunReport): string {
  const { params } = run;
  const rows: [string, string][] = [
    ['Dataset', datasetName === null ? `${run.datasetId} (deleted)` : `${datasetName} (${run.datasetId})`],
    ['Table', params.table],
    ['Features', params.featureColumns.join(', ')],
    ['k', params.kRange ? `${params.kRange.min}–${params.kRange.max}${run.kSelection ? `, chosen ${run.kSelection.chosenK}` : ''}` : String(params.k)],
    ['Restarts (nInit)', String(params.nInit)],
    ['Initialization, seed', `${params.initialization}, ${params.seed}`],
    ['Preparation', `missing values ${params.preparation.missing}, scaling ${params.preparation.scaling}`],
    ['Created', run.createdAt.toISOString()],
    ['Finished', run.finishedAt?.toISOString() ?? '—'],
  ];
  if (run.preparation) rows.push(['Rows read, dropped', `${run.preparation.rowsRead}, ${run.preparation.rowsDropped}`]);
  if (run.metrics) {
    rows.push(['Inertia (scaled units)', String(run.metrics.inertia)]);
    rows.push(['Silhouette', run.metrics.silhouette === null ? '—' : String(run.metrics.silhouette)]);
  }
  const body = rows.map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`).join('\n');
  return `<table id="run-summary">\n${body}\n</table>`;
}

function sampleMissing({ run, datasetName }: RunReport): string {
  if (run.status !== 'SUCCEEDED') return 'No sample of points: a run has assignments only once it SUCCEEDED.';
  if (datasetName === null) return 'No sample of points: the dataset has been deleted.';
  return 'No sample of points: no row of the table has a number in every feature plotted and a cluster in this run.';
}

function sampleNote({ run, sample }: RunReport): string {
  if (!sample) return '';
  return `<p class="muted" id="sample-note">${sample.points.length} points drawn (at most ${sample.limit}) from ${sample.eligibleRows} rows, in a sample seeded with the run’s seed ${run.params.seed}. Choose the axes with <code>?x=&lt;feature&gt;&amp;y=&lt;feature&gt;</code> and the size with <code>?sample=&lt;1–5000&gt;</code>.</p>`;
}
