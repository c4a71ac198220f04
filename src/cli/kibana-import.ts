import { readFileSync } from 'node:fs';
import path from 'node:path';
import { redactUrl } from '../config/connection-string';

/**
 * `npm run kibana:import`: imports kibana/saved-objects.ndjson through Kibana's saved objects API
 * (`POST /api/saved_objects/_import?overwrite=true`). Reads KIBANA_URL and either KIBANA_API_KEY or
 * KIBANA_USERNAME + KIBANA_PASSWORD; with KIBANA_SPACE, imports into that space.
 */
async function main(): Promise<void> {
  const given = process.env.KIBANA_URL;
  if (!given) {
    process.stderr.write('KIBANA_URL is not set (e.g. KIBANA_URL=http://localhost:5601 npm run kibana:import)\n');
    process.exit(2);
  }
  // fetch refuses a URL with credentials in it: they move to the Authorization header instead.
  const parsed = new URL(given);
  const urlUser = decodeURIComponent(parsed.username);
  const urlPassword = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const kibanaUrl = parsed.toString().replace(/\/+$/, '');
  const headers: Record<string, string> = { 'kbn-xsrf': 'true' };
  const username = process.env.KIBANA_USERNAME ?? (urlUser || undefined);
  const password = process.env.KIBANA_PASSWORD ?? urlPassword;
  if (process.env.KIBANA_API_KEY) headers.authorization = `ApiKey ${process.env.KIBANA_API_KEY}`;
  else if (username) headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const space = process.env.KIBANA_SPACE ? `/s/${encodeURIComponent(process.env.KIBANA_SPACE)}` : '';
  const file = path.resolve(__dirname, '../../../kibana/saved-objects.ndjson');
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)], { type: 'application/ndjson' }), 'saved-objects.ndjson');
  const response = await fetch(`${kibanaUrl}${space}/api/saved_objects/_import?overwrite=true`, { method: 'POST', headers, body: form });
  const body = (await response.json().catch(() => ({}))) as { success?: boolean; successCount?: number; errors?: unknown[] };
  if (!response.ok || body.success === false) {
    process.stderr.write(
      `Kibana at ${redactUrl(kibanaUrl)} refused the import (HTTP ${response.status}): ${JSON.stringify(body.errors ?? body).slice(0, 2000)}\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`imported ${body.successCount ?? 0} saved objects into Kibana at ${redactUrl(kibanaUrl)}${space}\n`);
}

main().catch((error: unknown) => {
  // Whatever failed, the message goes out without a password or key in it.
  const secrets = [process.env.KIBANA_API_KEY, process.env.KIBANA_PASSWORD].filter((value): value is string => Boolean(value));
  let message = redactUrl(error instanceof Error ? error.message : String(error));
  for (const secret of secrets) message = message.split(secret).join('*****');
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
