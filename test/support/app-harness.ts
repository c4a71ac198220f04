import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type FormattedExecutionResult } from 'graphql';
import { buildApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logging/logger';

/** A server built exactly as main.ts builds it, listening on a free loopback port, over real HTTP. */
export interface TestServer {
  readonly app: App;
  readonly url: string;
  /** Every log line the server wrote, for assertions about what is (not) logged. */
  readonly logs: string[];
  /** An admin API key created for the test (null when the database was not ready at start). */
  readonly adminKey: string | null;
  graphql<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
    headers?: Record<string, string>,
  ): Promise<FormattedExecutionResult<TResult>>;
  get(route: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  // A data folder of its own unless the test names one; removed by stop() (a run of the suite made hundreds).
  const ownDataDir = env.DATA_DIR === undefined ? mkdtempSync(path.join(tmpdir(), 'aimodel-app-')) : null;
  const config = loadConfig({ ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}), LOG_LEVEL: 'info', ...env });
  const app = await buildApp(config, createLogger(config.logLevel, sink));
  const address = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  // Requests go as an admin unless a test says otherwise (headers { authorization: '' } is anonymous).
  const adminKey = app.bootstrap.current().done ? (await app.apiKeys.create('test harness admin', 'admin')).key : null;
  const defaultHeaders: Record<string, string> = adminKey ? { authorization: `Bearer ${adminKey}` } : {};
  return {
    app,
    url,
    logs,
    adminKey,
    async graphql(document, variables, headers = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...defaultHeaders, ...headers },
        body: JSON.stringify({ query: print(document), variables }),
      });
      return (await response.json()) as FormattedExecutionResult<never>;
    },
    get(route, headers = {}) {
      return fetch(`${url}${route}`, { headers });
    },
    async stop() {
      await app.stop();
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}

/** The value of one Prometheus sample, e.g. `db_statements_total{dialect="sqlite",kind="catalog",outcome="ok"}`. */
export function metricValue(metricsText: string, name: string, labels: Record<string, string>): number {
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    const matches = Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
