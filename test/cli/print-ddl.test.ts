import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../src/datastore/migrations/app-migrations';

const SCRIPT = path.resolve(__dirname, '../../src/cli/print-ddl.js');

function printDdl(...args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
}

describe('npm run db:ddl', () => {
  it('--dialect tibero prints Oracle-family DDL for every app table, then the migration rows and COMMIT', () => {
    const result = printDdl('--dialect', 'tibero');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /CREATE TABLE "AI_SCHEMA_MIGRATIONS" \(/);
    assert.match(result.stdout, /CREATE TABLE "AI_DATASET" \(/);
    assert.match(result.stdout, /"NAME" VARCHAR2\(128 CHAR\) NOT NULL/);
    assert.match(result.stdout, /"CREATED_AT" TIMESTAMP\(3\) NOT NULL/);
    assert.match(result.stdout, /CREATE INDEX "AI_RUN_STATUS_CREATED" ON "AI_MODEL_RUN" \("STATUS", "CREATED_AT"\);/);
    assert.match(
      result.stdout,
      /INSERT INTO "AI_SCHEMA_MIGRATIONS" \("VERSION", "NAME", "APPLIED_AT"\) VALUES \(1, 'datasets', SYS_EXTRACT_UTC\(SYSTIMESTAMP\)\);/,
    );
    assert.match(result.stdout, /COMMIT;\s*$/);
  });

  it('every statement of the printed script ends with a semicolon, for every dialect', () => {
    for (const dialect of ['sqlite', 'postgresql', 'mysql', 'oracle', 'tibero']) {
      const result = printDdl('--dialect', dialect);
      assert.equal(result.status, 0, `${dialect}: ${result.stderr}`);
      const statements = result.stdout.split('\n\n').filter((block) => !block.startsWith('--'));
      for (const statement of statements) assert.match(statement.trim(), /;$/, `${dialect}: ${statement}`);
    }
  });

  it('--dialect sqlite is one transaction that SQLite’s own shell applies whole (BEGIN … COMMIT), as Python’s sqlite3 runs a script', () => {
    const result = printDdl('--dialect', 'sqlite');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^BEGIN;$/m);
    assert.match(result.stdout, /COMMIT;\s*$/);
    const folder = mkdtempSync(path.join(tmpdir(), 'aimodel-ddl-'));
    try {
      const script = path.join(folder, 'ddl.sql');
      writeFileSync(script, result.stdout);
      const applied = spawnSync(
        'python3',
        [
          '-c',
          'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); print(",".join(str(v) for (v,) in c.execute("SELECT version FROM ai_schema_migrations ORDER BY version")))',
          path.join(folder, 'app.sqlite'),
          script,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(applied.status, 0, applied.stderr);
      assert.equal(applied.stdout.trim(), APP_MIGRATIONS.map((migration) => migration.version).join(','));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('--dialect tibero opens no transaction (each DDL statement commits on its own there)', () => {
    assert.doesNotMatch(printDdl('--dialect', 'tibero').stdout, /^BEGIN;/m);
  });

  it('an unknown dialect exits 2 naming the accepted ones, and prints no SQL', () => {
    const result = printDdl('--dialect', 'db2');
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /Unknown SQL dialect "db2"; expected one of sqlite, postgresql, mysql, oracle, tibero/);
  });
});
