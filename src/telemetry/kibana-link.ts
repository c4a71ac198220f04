/** The id of the "AI modeling" dashboard in kibana/saved-objects.ndjson. */
export const DASHBOARD_ID = 'aimodel-dashboard';

/**
 * The dashboard's filter on one run: labels.run_id, which the run's events, its summary and the
 * GraphQL operations that started, cancelled or read it all carry.
 */
export function runFilter(runId: string): string {
  return `labels.run_id:"${runId}"`;
}

/** A link to the dashboard filtered on one run (runFilter), over the last 90 days. */
export function kibanaRunUrl(kibanaUrl: string, runId: string): string {
  const query = encodeURIComponent(runFilter(runId)).replace(/'/g, '%27');
  return `${kibanaUrl}/app/dashboards#/view/${DASHBOARD_ID}?_g=(time:(from:now-90d,to:now))&_a=(query:(language:kuery,query:'${query}'))`;
}
