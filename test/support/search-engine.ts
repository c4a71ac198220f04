/**
 * The real search engine the tests run against: the OpenSearch 2.19 node started by
 * `scripts/services/opensearch.sh start`, whose URL the test script puts in TEST_OPENSEARCH_URL,
 * fronted by test/support/elastic-proxy.ts so the official Elasticsearch 8 client works unmodified.
 */
import { startElasticProxy, type ElasticProxy } from './elastic-proxy';

const VARIABLE = 'TEST_OPENSEARCH_URL';

/** The OpenSearch node itself (no proxy). Fails, never skips, when the variable is missing. */
export function openSearchUrl(): string {
  const url = process.env[VARIABLE];
  if (!url) {
    // Fail, never skip: a suite that silently runs nothing would pass.
    throw new Error(
      `${VARIABLE} is not set: run the suite with \`npm test\`, which starts OpenSearch and sets it ` +
        `(by hand: bash scripts/services/opensearch.sh start && export ${VARIABLE}=$(bash scripts/services/opensearch.sh url))`,
    );
  }
  return url;
}

let shared: Promise<ElasticProxy> | undefined;

/**
 * URL to give the Elasticsearch 8 client (`new Client({ node: await searchEngineUrl() })`): one
 * proxy per test process, in front of TEST_OPENSEARCH_URL, started on first use. Its listening
 * socket does not keep the process alive; close the clients (`client.close()`) at the end.
 */
export async function searchEngineUrl(): Promise<string> {
  const target = openSearchUrl();
  shared ??= startElasticProxy({ target }).then((proxy) => {
    proxy.unref();
    return proxy;
  });
  return (await shared).url;
}

/** Stops the shared proxy (optional: it never keeps the process alive). */
export async function closeSearchEngineProxy(): Promise<void> {
  const proxy = shared;
  shared = undefined;
  if (proxy) await (await proxy).close();
}
