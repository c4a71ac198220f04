/** The id of the "AI modeling" dashboard in kibana/saved-objects.ndjson. */
export const DASHBOARD_ID = 'aimodel-dashboard';

/** A link to the dashboard filtered on one run (its trace.id), over the last 90 days. */
export function kibanaRunUrl(kibanaUrl: string, runId: string): string {
  const query = encodeURIComponent(`trace.id:"${runId}"`).replace(/'/g, '%27');
  return `${kibanaUrl}/app/dashboards#/view/${DASHBOARD_ID}?_g=(time:(from:now-90d,to:now))&_a=(query:(language:kuery,query:'${query}'))`;
}
