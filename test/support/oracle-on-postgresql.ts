import { PostgresqlDialect } from '../../src/datastore/dialects/postgresql';
import type { Datastore } from '../../src/datastore/datastore';
import { ddl } from './databases';

/**
 * PostgreSQL (≥ 15, which has MERGE) standing in for Oracle and Tibero, to run their compiled MERGE.
 * The shims give PostgreSQL the Oracle names that SQL uses and PostgreSQL lacks — nothing rewrites the
 * statements themselves:
 *   DUAL            a one-row view
 *   NUMBER          a domain over numeric (cast without precision, as the dialect writes it)
 *   BINARY_DOUBLE   a domain over double precision
 *   TO_CLOB(text)   the identity function
 * TO_TIMESTAMP(text, 'YYYY-MM-DD HH24:MI:SS.FF3') and VARCHAR(n) exist in both.
 */
export async function installOracleShims(datastore: Datastore): Promise<void> {
  const statements = [
    "CREATE OR REPLACE VIEW dual AS SELECT CAST('X' AS VARCHAR(1)) AS dummy",
    'DO $$ BEGIN CREATE DOMAIN number AS numeric; EXCEPTION WHEN duplicate_object THEN NULL; END $$',
    'DO $$ BEGIN CREATE DOMAIN binary_double AS double precision; EXCEPTION WHEN duplicate_object THEN NULL; END $$',
    "CREATE OR REPLACE FUNCTION to_clob(value text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT value'",
  ];
  for (const sql of statements) await datastore.execute(ddl(sql));
}

/**
 * PostgreSQL's dialect with Oracle's identifier rule (names stored upper case, read back lower case),
 * so tables created and read here are the very tables the Oracle MERGE names ("AI_OUTCOME", "ENTITY_KEY").
 */
export class UpperCasePostgresqlDialect extends PostgresqlDialect {
  override identifierToDatabase(name: string): string {
    return name.toUpperCase();
  }

  override identifierFromDatabase(name: string): string {
    return name === name.toUpperCase() ? name.toLowerCase() : name;
  }
}
