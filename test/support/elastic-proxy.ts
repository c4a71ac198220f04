/**
 * TESTS ONLY (the server never uses this): an HTTP proxy that lets the unmodified official
 * Elasticsearch 8 client (`@elastic/elasticsearch` 8.x, `@elastic/transport` 8.x) talk to the
 * OpenSearch 2.19 node that scripts/services/opensearch.sh starts, because no Elasticsearch
 * distribution can be installed on the test machines.
 *
 * What the v8 client does that OpenSearch will not accept, read from its source
 * (elasticsearch/lib/client.js passes `productCheck: 'Elasticsearch'` and `vendoredHeaders` to the
 * Transport; transport/lib/Transport.js applies them):
 *
 *  1. Every request carries `Content-Type: application/vnd.elasticsearch+json; compatible-with=8`
 *     (`application/vnd.elasticsearch+x-ndjson; compatible-with=8` for _bulk, _msearch, ...) and
 *     `Accept: application/vnd.elasticsearch+json; compatible-with=8,text/plain`. OpenSearch answers
 *     406 "Content-Type header [...] is not supported" to the vendored Content-Type (it tolerates the
 *     Accept, which is rewritten anyway so that OpenSearch only ever sees plain media types). The
 *     body is the same JSON / NDJSON either way, so only the header changes.
 *
 *  2. After every 2xx response the client requires the header `X-Elastic-Product: Elasticsearch`
 *     (exact value) and throws ProductNotSupportedError without it. OpenSearch never sends it, so the
 *     proxy adds it to every response (non-2xx responses are not checked, adding it there is harmless).
 *
 * Nothing else is needed: the v8 client does no version check. Unlike 7.14-7.17, it makes no
 * preliminary `GET /` and never reads `version.number` or the tagline, so `GET /` passes through
 * unchanged and `info()` reports OpenSearch's real version (2.19.x, distribution "opensearch").
 * Bodies are streamed through untouched in both directions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ElasticProxy {
  /** http://127.0.0.1:<port>, to pass as the client's `node`. */
  readonly url: string;
  /** Stops listening, drops open connections. Safe to call more than once. */
  close(): Promise<void>;
  /** Lets the process exit while the proxy still listens (open client connections still count). */
  unref(): void;
}

/** `application/vnd.elasticsearch+json; compatible-with=8` → `application/json`, same for x-ndjson. */
const VENDORED_MEDIA_TYPE = /application\/vnd\.elasticsearch\+(json|x-ndjson)(\s*;\s*compatible-with\s*=\s*\d+)?/gi;

function plainMediaTypes(value: string): string {
  return value.replace(VENDORED_MEDIA_TYPE, 'application/$1');
}

/** Per-connection headers (RFC 9110 §7.6.1): not forwarded, each hop sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

export async function startElasticProxy(options: { target: string }): Promise<ElasticProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`startElasticProxy: only http targets, got ${options.target}`);
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((request, response) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers[name] = name === 'content-type' || name === 'accept' ? plainMediaTypes(String(value)) : value;
    }
    headers.host = target.host;

    const upstream = http.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers,
        agent,
      },
      (upstreamResponse) => {
        const responseHeaders: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(upstreamResponse.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) responseHeaders[name] = value;
        }
        // The v8 client's product check (see the header comment).
        responseHeaders['x-elastic-product'] = 'Elasticsearch';
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.statusMessage, responseHeaders);
        upstreamResponse.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      if (response.headersSent) {
        response.destroy(error);
        return;
      }
      // 502 makes the client treat the node as down, which it is.
      const body = JSON.stringify({ error: `elastic-proxy: ${options.target} unreachable: ${error.message}`, status: 502 });
      response.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
    request.on('error', (error) => upstream.destroy(error));
    request.pipe(upstream);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return closed;
    },
    unref() {
      server.unref();
    },
  };
}
