import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderMarkdown, runBench, type BenchResults } from '../../bench/main';

// `npm run bench -- --quick` inside the suite, so the harness cannot rot: 10k rows, one repetition, on
// the embedded SQLite, PostgreSQL and MariaDB that `npm test` started, with OpenSearch for the trace
// figure. It asserts that every figure was produced and that what was measured was correct work
// (every outcome published, every row read, identical k-means results), never a time.
describe('the benchmark harness, quick mode (10k rows)', () => {
  let results: BenchResults;

  it('runs every section against the real databases and the search engine', async (context) => {
    results = await runBench({
      quick: true,
      sizes: [10_000],
      repeat: 1,
      databases: ['sqlite', 'postgresql', 'mariadb'],
      sections: ['e2e', 'read', 'publish', 'cluster', 'graphql', 'trace'],
      log: (line) => context.diagnostic(line),
    });
    context.diagnostic(renderMarkdown(results));
  });

  it('end to end: each run SUCCEEDED with every outcome in the outcome table, and every phase timed', () => {
    assert.deepEqual(
      results.endToEnd.map((entry) => entry.server.database),
      ['sqlite', 'postgresql', 'mariadb'],
    );
    for (const { server, python } of results.endToEnd) {
      assert.equal(server.runs.length, 1);
      const run = server.runs[0]!;
      assert.equal(run.outcomeRows, 10_000, `${server.database}: outcome rows`);
      assert.ok(run.iterations >= 1 && run.converged, `${server.database}: converged in ${run.iterations} iterations`);
      for (const [phase, ms] of Object.entries(run.timings)) assert.ok(Number.isFinite(ms) && ms >= 0, `${server.database} ${phase} = ${ms}`);
      assert.ok(run.wallMs >= run.durationMs, 'the client saw the run end after it ended');
      assert.ok(run.serverPeakRssMb >= run.serverRssBeforeMb && run.serverRssBeforeMb > 0);
      // The floor checked its own work (every row read, written and published) before giving a time.
      for (const [phase, ms] of Object.entries(server.floor ?? {}).filter(([key]) => key.endsWith('Ms'))) {
        assert.ok(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0, `${server.database} floor ${phase} = ${String(ms)}`);
      }
      assert.deepEqual(Object.keys(server.floor?.methods ?? {}).sort(), ['publish', 'read', 'save'], `${server.database}: every floor measured`);
      if ('forms' in python) {
        assert.deepEqual(
          python.forms.map((form) => form.form),
          ['pandas', 'fetchmany'],
        );
        for (const form of python.forms) {
          // Same data, same k: the Python pipeline's clustering is as good as the server's.
          const figures = form.runs[0]!;
          assert.equal(figures.published, 10_000, `${server.database} ${form.form}: published`);
          assert.ok(
            Math.abs(figures.inertia - run.inertia) <= 1e-6 * run.inertia,
            `${server.database} ${form.form}: inertia ${figures.inertia} vs ${run.inertia}`,
          );
        }
      } else {
        assert.match(python.skipped, /python3 cannot import/);
      }
    }
  });

  it('read: the server read every row on every database, and every complete read the same values', () => {
    assert.deepEqual([...new Set(results.read.map((result) => result.database))], ['sqlite', 'postgresql', 'mariadb']);
    for (const database of ['sqlite', 'postgresql', 'mariadb']) {
      const mine = results.read.filter((result) => result.database === database);
      const server = mine.find((result) => result.method === 'server');
      assert.ok(server, `${database}: the server's own read path was measured`);
      assert.equal(server.rows, 10_000, `${database} server rows`);
      assert.equal(server.complete, true);
      // A raw node-odbc cursor on MariaDB stops early (Connector/ODBC's block cursor): the figure says
      // so (complete: false), which is why the server pages there. Every complete read agrees.
      for (const result of mine.filter((candidate) => candidate.complete)) {
        assert.equal(result.rows, 10_000, `${database} ${result.method}`);
        assert.ok(Math.abs(result.checksum - server.checksum) <= 1e-9 * Math.abs(server.checksum), `${database} ${result.method} checksum`);
      }
    }
  });

  it('publish: every method on every database UPSERTed every row, inserting and updating', () => {
    for (const database of ['sqlite', 'postgresql', 'mariadb']) {
      const mine = results.publish.filter((result) => result.database === database);
      for (const method of ['server', 'one-row-loop']) {
        for (const kind of ['insert', 'update'] as const) {
          const result = mine.find((candidate) => candidate.method === method && candidate.case === kind);
          assert.ok(result, `${database} ${method} ${kind} measured`);
          assert.equal(result.rows, 10_000);
          assert.ok(result.rowsPerSecond > 0);
        }
      }
    }
    assert.ok(
      results.publish.some((result) => result.method.startsWith('pg-')),
      'the native pg driver baseline ran',
    );
  });

  it('cluster: every engine gave ml-kmeans’ assignments and iterations from the same start, and centroids as close as the sums allow', () => {
    interface Engine {
      engine: string;
      iterations: number;
      assignmentsEqualToMlKmeans?: number;
      centroidUlpsFromMlKmeans?: number;
    }
    const cluster = results.cluster as { results: { rows: number; engines: Engine[] }[] };
    assert.equal(cluster.results.length, 1);
    const engines = cluster.results[0]!.engines.filter((engine) => engine.engine !== 'scikit-learn');
    const reference = engines.find((engine) => engine.engine === 'ml-kmeans')!;
    assert.ok(engines.length >= 2 && reference);
    for (const engine of engines) {
      assert.equal(engine.assignmentsEqualToMlKmeans, 1, `${engine.engine}: assignments differ from ml-kmeans`);
      assert.equal(engine.iterations, reference.iterations, `${engine.engine}: iterations`);
      // Sums by chunks (docs/model-runs.md): the centroids may differ from ml-kmeans' in their last bits, never further.
      assert.ok(engine.centroidUlpsFromMlKmeans! < 2 ** 20, `${engine.engine}: centroids ${engine.centroidUlpsFromMlKmeans} ulps from ml-kmeans'`);
    }
  });

  it('GraphQL: no error and no lost run under load, on both databases', () => {
    assert.deepEqual(
      results.graphql.map((entry) => entry.database),
      ['sqlite', 'postgresql'],
    );
    for (const entry of results.graphql) {
      assert.ok(entry.requests > 0);
      assert.equal(entry.httpErrors + entry.graphqlErrors, 0, `${entry.database} errors`);
      assert.equal(entry.runsLost, 0);
    }
  });

  it('trace: the same run with the trace going to OpenSearch and to files, both SUCCEEDED with every outcome', () => {
    assert.ok(results.trace && 'file' in results.trace, `trace skipped: ${JSON.stringify(results.trace)}`);
    assert.equal(results.trace.file.runs[0]!.outcomeRows, results.trace.rows);
    assert.equal(results.trace.elasticsearch.runs[0]!.outcomeRows, results.trace.rows);
  });

  it('renders all six figures into the Markdown that bench/RESULTS.md holds', () => {
    const markdown = renderMarkdown(results);
    for (const heading of ['### 1. End to end', '### 2. Read', '### 3. Publish', '### 4. Cluster', '### 5. GraphQL', '### 6. Trace overhead']) {
      assert.ok(markdown.includes(heading), heading);
    }
  });
});
