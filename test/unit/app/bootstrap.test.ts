import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { DatabaseBootstrap } from '../../../src/app/bootstrap';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import type { Config } from '../../../src/config/config';
import type { Datastore } from '../../../src/datastore/datastore';
import { AppError } from '../../../src/errors/app-error';
import { createLogger } from '../../../src/logging/logger';

interface Line {
  level: number;
  msg: string;
  code?: string;
}

/** A datastore whose ai_schema_migrations holds `versions`, detecting the server with `detectServer`. */
function schemaAt(variant: string, versions: readonly number[], detectServer: (onRefused?: (refusal: AppError) => void) => Promise<string>): Datastore {
  return {
    dialect: {
      variant,
      listTablesStatement: () => ({ sql: 'tables', parameters: [], kind: 'catalog' }),
      identifierFromDatabase: (name: string) => name,
      quoteIdentifier: (name: string) => name,
    },
    query: (statement: { sql: string }) =>
      Promise.resolve(statement.sql === 'tables' ? [{ table_name: 'ai_schema_migrations' }] : versions.map((version) => ({ version }))),
    detectServer,
  } as unknown as Datastore;
}

describe('DatabaseBootstrap and a version query the database refuses', () => {
  it('a refusal met at every attempt is logged once, at warn, without the driver’s words; the bootstrap finishes with the version unknown', async () => {
    const lines: Line[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk)) as Line), done()) }));
    let attempts = 0;
    // The first attempt loses its connection right after the refusal, so the bootstrap asks twice.
    // DB_MIGRATE=false: the schema check finds every version applied.
    const datastore = schemaAt(
      'tibero',
      APP_MIGRATIONS.map((migration) => migration.version),
      (onRefused) => {
        attempts += 1;
        onRefused?.(new AppError('DB_ERROR', 'tibero error [42S02/-7]: Specified schema object was not found: V$VERSION'));
        return attempts === 1 ? Promise.reject(new AppError('DB_UNAVAILABLE', 'the connection was lost')) : Promise.resolve('unknown');
      },
    );
    const config = { database: { migrate: false }, demoDatasets: false } as unknown as Config;
    const bootstrap = new DatabaseBootstrap(datastore, config, logger, 1);
    await bootstrap.start();
    await bootstrap.whenReady();
    bootstrap.stop();

    assert.equal(attempts, 2);
    assert.deepEqual({ done: bootstrap.current().done, serverVersion: bootstrap.current().serverVersion }, { done: true, serverVersion: 'unknown' });
    const refusals = lines.filter((line) => line.msg.startsWith('the database refused the server version query'));
    assert.deepEqual(
      refusals.map((line) => [line.level, line.code]),
      [[40, 'DB_ERROR']],
    );
    assert.ok(!JSON.stringify(lines).includes('Specified schema object'), 'the driver’s words only at debug');
  });
});

describe('DatabaseBootstrap with DB_MIGRATE=false', () => {
  it('a schema without the latest version is not ready: CONFIG_INVALID naming the missing one, logged, and tried again', async () => {
    const lines: Line[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk)) as Line), done()) }));
    const latest = Math.max(...APP_MIGRATIONS.map((migration) => migration.version));
    const datastore = schemaAt(
      'sqlite',
      APP_MIGRATIONS.map((migration) => migration.version).filter((version) => version !== latest),
      () => Promise.resolve('3.40.1'),
    );
    const bootstrap = new DatabaseBootstrap(datastore, { database: { migrate: false }, demoDatasets: false } as unknown as Config, logger, 1);
    await bootstrap.start();
    bootstrap.stop();
    const state = bootstrap.current();
    assert.equal(state.done, false);
    assert.equal(state.lastError?.code, 'CONFIG_INVALID');
    assert.match(state.lastError?.message ?? '', new RegExp(`lacks the schema versions ${latest} this build needs`));
    assert.ok(lines.some((line) => line.msg === 'database not ready' && line.code === 'CONFIG_INVALID'));
  });
});
