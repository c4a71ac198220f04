import { readFileSync } from 'node:fs';
import path from 'node:path';
import { redactUrl } from '../config/config';

/**
 * `npm run kibana:import`: imports kibana/saved-objects.ndjson through Kibana's saved objects API
 * (`POST /api/saved_objects/_import?overwrite=true`). Reads KIBANA_URL and either KIBANA_API_KEY or
 * KIBANA_USERNAME + KIBANA_PASSWORD; with KIBANA_SPACE, imports into that space.
 */
async function main(): Promise<void> {
  const kibanaUrl = process.env.KIBANA_URL?.replace(/\/+$/, '');
  if (!kibanaUrl) {
    process.stderr.write('KIBANA_URL is not set (e.g. KIBANA_URL=http://localhost:5601 npm run kibana:import)\n');
    process.exit(2);
  }
  const headers: Record<string, string> = { 'kbn-xsrf': 'true' };
  if (process.env.KIBANA_API_KEY) headers.authorization = `ApiKey ${process.env.KIBANA_API_KEY}`;
  else if (process.env.KIBANA_USERNAME) {
    headers.authorization = `Basic ${Buffer.from(`${process.env.KIBANA_USERNAME}:${process.env.KIBANA_PASSWORD ?? ''}`).toString('base64')}`;
  }
  const space = process.env.KIBANA_SPACE ? `/s/${encodeURIComponent(process.env.KIBANA_SPACE)}` : '';
  const file = path.resolve(__dirname, '../../../kibana/saved-objects.ndjson');
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)], { type: 'application/ndjson' }), 'saved-objects.ndjson');
  const response = await fetch(`${kibanaUrl}${space}/api/saved_objects/_import?overwrite=true`, { method: 'POST', headers, body: form });
  const body = (await response.json().catch(() => ({}))) as { success?: boolean; successCount?: number; errors?: unknown[] };
  if (!response.ok || body.success === false) {
    process.stderr.write(`Kibana at ${redactUrl(kibanaUrl)} refused the import (HTTP ${response.status}): ${JSON.stringify(body.errors ?? body).slice(0, 2000)}\n`);
    process.exit(1);
  }
  process.stdout.write(`imported ${body.successCount ?? 0} saved objects into Kibana at ${redactUrl(kibanaUrl)}${space}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
