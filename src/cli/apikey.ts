import { parseArgs } from 'node:util';
import { embeddedDatabaseFile, loadConfig } from '../config/config';
import { Datastore } from '../datastore/datastore';
import { dialectFor } from '../datastore/dialects';
import { APP_MIGRATIONS } from '../datastore/migrations/app-migrations';
import { migrate } from '../datastore/migrations/migrator';
import { prepareEmbeddedFolder } from '../app/datastore';
import { SharedRedis } from '../app/redis';
import { isAppError } from '../errors/app-error';
import { createLogger } from '../logging/logger';
import { ApiKeyRepository } from '../modules/api-key/api-key.repository';
import { ApiKeyService } from '../modules/api-key/api-key.service';

const USAGE = `usage:
  npm run apikey -- create --name <name> --role <viewer|operator|admin>   prints the key once
  npm run apikey -- list
  npm run apikey -- revoke --id <id>
  npm run apikey -- --help
(uses the same DB_* and DATA_DIR configuration as the server; with REDIS_URL, revoke tells every server at once)
`;

/** `npm run apikey`: API keys from the command line, e.g. the first admin key of a new installation. */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { name: { type: 'string' }, role: { type: 'string' }, id: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    // An unknown option or a missing value: node's own words, then how to call it.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
  const { positionals, values } = parsed;
  const command = positionals[0];
  if (values.help || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (!command || !['create', 'list', 'revoke'].includes(command)) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const config = loadConfig();
  // The embedded default, as the server opens it: its folder made if missing (a first admin key may come
  // before the first start). Which file is said, since another DATA_DIR than the server's is another database.
  prepareEmbeddedFolder(config);
  if (config.database.embedded) {
    process.stderr.write(`(the embedded database ${embeddedDatabaseFile(config.dataDir)})\n`);
  }
  const datastore = Datastore.create({
    connectionString: config.database.connectionString,
    dialect: dialectFor(config.database.dialect),
    poolMax: 1,
    acquireTimeoutMs: config.database.acquireTimeoutMs,
    queryTimeoutMs: config.database.queryTimeoutMs,
    idleTimeoutMs: config.database.idleTimeoutMs,
  });
  let redis: SharedRedis | null = null;
  try {
    await datastore.detectServer();
    if (config.database.migrate) await migrate(datastore, APP_MIGRATIONS);
    // With REDIS_URL, a revocation reaches every server's key cache at once, as one made through the API.
    redis = config.redis && command === 'revoke' ? new SharedRedis(config.redis, createLogger('warn', process.stderr), () => undefined) : null;
    const keys = new ApiKeyService(new ApiKeyRepository(datastore), undefined, undefined, redis?.keyRevocations() ?? null);
    if (command === 'create') {
      if (!values.name || !values.role) throw new Error(`create needs --name and --role\n${USAGE}`);
      const { key, record } = await keys.create(values.name, values.role);
      process.stdout.write(`created API key ${record.id} "${record.name}" (${record.role})\n${key}\n(store it now: it is not shown again)\n`);
    } else if (command === 'list') {
      for (const key of await keys.list()) {
        process.stdout.write(
          `${key.id}  ${key.keyPrefix}…  ${key.role.padEnd(8)}  ${key.name}${key.revokedAt ? `  revoked ${key.revokedAt.toISOString()}` : ''}\n`,
        );
      }
    } else {
      if (!values.id) throw new Error(`revoke needs --id\n${USAGE}`);
      const record = await keys.revoke(values.id);
      process.stdout.write(`revoked API key ${record.id} "${record.name}"\n`);
    }
  } finally {
    await redis?.close();
    await datastore.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${isAppError(error) ? error.message : error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
