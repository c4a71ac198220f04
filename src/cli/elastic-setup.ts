import { loadConfig } from '../config/config';
import { redactUrl } from '../config/connection-string';
import { isAppError } from '../errors/app-error';
import { createElasticsearchClient } from '../telemetry/elasticsearch-sink';
import { setupElasticsearch } from '../telemetry/setup';

/** `npm run elastic:setup`: creates the trace's templates, ILM policy and runs index in ELASTICSEARCH_URL. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.trace.elasticsearchUrl) {
    process.stderr.write('ELASTICSEARCH_URL is not set: there is nothing to set up (without it the trace goes to files under TRACE_DIR)\n');
    process.exit(2);
  }
  const client = createElasticsearchClient(config.trace);
  try {
    const report = await setupElasticsearch(client, config.trace);
    process.stdout.write(
      `Elasticsearch at ${redactUrl(config.trace.elasticsearchUrl)}:\n${report.steps.map((step) => `  created or updated ${step}\n`).join('')}`,
    );
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${isAppError(error) ? error.message : error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
