/**
 * The application user may not read V$VERSION: Tibero and Oracle need SELECT ANY DICTIONARY (or a grant)
 * for it, and a migration tool's FAQ reports Tibero's answer as "Specified schema object was not found".
 * Before, that failure made the bootstrap retry forever and the server never became ready.
 *
 * On H2 in Oracle mode, in a schema of this file's own (every connection's SET SCHEMA), V$VERSION is a
 * view over a table since renamed away, so the version query fails as the refusal does ("Table … not
 * found"). The server starts anyway: the version is unknown, said once in the log without the driver's
 * words, the Tibero dialect pages with ROWNUM (what every Tibero runs), and the API serves pages of runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FormattedExecutionResult } from 'graphql';
import { TiberoDialect } from '../../src/datastore/dialects/tibero';
import { RunRepository } from '../../src/modules/run/run.repository';
import { ModelRunsPageDocument, type ModelRunsPageQuery } from '../generated/graphql';
import { startTestServer, type TestServer } from '../support/app-harness';
import { ddl } from '../support/databases';
import { createOracleModeSchema, type OracleModeSchema } from '../support/oracle-mode-schema';
import { runRecord } from '../support/runs';

const REFUSAL = 'the database refused the server version query';

describe('the version query refused (V$VERSION not readable), on H2 in Oracle mode with the Tibero dialect', () => {
  let schema: OracleModeSchema;
  let server: TestServer;

  before(async () => {
    schema = await createOracleModeSchema('version_refused', 'tibero');
    // In the schema, so found before PUBLIC's stand-in: a view whose table is gone.
    for (const sql of [
      'CREATE TABLE dictionary (name VARCHAR(64), value VARCHAR(64))',
      'CREATE VIEW v$version AS SELECT name, value FROM dictionary',
      'ALTER TABLE dictionary RENAME TO dictionary_not_granted',
    ]) {
      await schema.datastore.execute(ddl(sql));
    }
    server = await startTestServer({ DB_DIALECT: 'tibero', DB_CONNECTION_STRING: schema.connectionString, DEMO_DATASETS: 'false' });
  });
  after(async () => {
    await server?.stop();
    await schema?.drop();
  });

  it('the server is ready with the version unknown, said once at warn without the driver’s words', async () => {
    assert.deepEqual(
      { done: server.app.bootstrap.current().done, serverVersion: server.app.bootstrap.current().serverVersion },
      { done: true, serverVersion: 'unknown' },
    );
    const response = await server.get('/readyz', { authorization: `Bearer ${server.adminKey}` });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { ready: boolean; database: { prepared: boolean; serverVersion: string | null } };
    assert.deepEqual(
      { ready: body.ready, prepared: body.database.prepared, serverVersion: body.database.serverVersion },
      { ready: true, prepared: true, serverVersion: 'unknown' },
    );

    const lines = server.logs.map((line) => JSON.parse(line) as { level: number; msg: string; code?: string });
    const refusals = lines.filter((line) => line.msg.startsWith(REFUSAL));
    assert.equal(refusals.length, 1, JSON.stringify(refusals));
    assert.equal(refusals[0]!.level, 40, 'at warn');
    assert.equal(refusals[0]!.code, 'DB_ERROR', 'an ordinary database error, not a lost connection');
    assert.ok(!server.logs.some((line) => line.includes('dictionary_not_granted')), 'no driver text (it names the missing table) at info or above');
  });

  it('an unknown Tibero version pages with ROWNUM, and the API serves runs page by page', async () => {
    const dialect = server.app.datastore.dialect;
    assert.ok(dialect instanceof TiberoDialect && !dialect.offsetFetch, 'the ROWNUM form');
    const inserted = Array.from({ length: 5 }, (_, i) => runRecord('version-refused-dataset', { createdAt: new Date(Date.UTC(2026, 11, 3, 1, i)) }));
    for (const run of inserted) await new RunRepository(schema.datastore).insert(run);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const result: FormattedExecutionResult<ModelRunsPageQuery> = await server.graphql(ModelRunsPageDocument, {
        filter: null,
        orderBy: null,
        first: 2,
        after,
      });
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      const page = result.data!.modelRuns;
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? null;
    }
    assert.deepEqual(
      seen,
      [...inserted].reverse().map((run) => run.id),
      'newest first, each run once',
    );
  });
});
