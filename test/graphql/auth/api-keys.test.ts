import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiKeysDocument, CreateApiKeyDocument, DatasetNamesDocument, RevokeApiKeyDocument, type Role } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf } from '../../support/runs';
import { ANONYMOUS, assertForbidden, assertUnauthenticated, bearer, countRows, createKey, post } from './auth-support';

const APIKEY_CLI = path.resolve(__dirname, '../../../src/cli/apikey.js');

/** Base64url of 32 bytes after aim_: the shape of every key. */
const KEY_SHAPE = /^aim_[A-Za-z0-9_-]{43}$/;

describe('API keys over HTTP (createApiKey, apiKeys, revokeApiKey, the two headers)', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('createApiKey returns an aim_ key once; apiKeys lists it with only its keyPrefix, never the key', async () => {
    const created = await createKey(server, 'listing check', 'VIEWER');
    assert.match(created.key, KEY_SHAPE);
    assert.equal(created.apiKey.name, 'listing check');
    assert.equal(created.apiKey.role, 'VIEWER');
    assert.equal(created.apiKey.revokedAt, null);
    assert.equal(created.apiKey.keyPrefix, created.key.slice(0, 10));

    const listing = await post(server, ApiKeysDocument, {}, bearer(server.adminKey!));
    const listed = dataOf(listing.body, 'apiKeys').apiKeys.find((key) => key.id === created.apiKey.id);
    assert.deepEqual(listed, created.apiKey);
    assert.ok(!JSON.stringify(listing.body).includes(created.key), 'the listing does not contain the key');
    assert.ok(!JSON.stringify(listing.body).includes(created.key.slice(10)), 'nor its secret part');
  });

  it('the ApiKey type has no field that could carry the secret', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(server.adminKey!) },
      body: JSON.stringify({ query: '{ __type(name: "ApiKey") { fields { name } } }' }),
    });
    const body = (await response.json()) as { data: { __type: { fields: { name: string }[] } } };
    assert.deepEqual(body.data.__type.fields.map((field) => field.name).sort(), ['createdAt', 'id', 'keyPrefix', 'name', 'revokedAt', 'role']);
  });

  it('the database holds only the SHA-256 of a key: no column of ai_api_key contains the key or its secret part', async () => {
    const created = await createKey(server, 'stored hash check', 'OPERATOR');
    const q = (name: string) => server.app.datastore.dialect.quoteIdentifier(name);
    const rows = await server.app.datastore.query({ sql: `SELECT * FROM ${q('ai_api_key')}`, parameters: [], kind: 'select' });
    const row = rows.find((candidate) => candidate.id === created.apiKey.id);
    assert.ok(row, 'the key has a row');
    assert.equal(row.key_hash, createHash('sha256').update(created.key).digest('hex'));
    assert.equal(row.key_prefix, created.key.slice(0, 10));
    for (const stored of rows) {
      for (const [column, value] of Object.entries(stored)) {
        assert.ok(!String(value).includes(created.key.slice(10)), `column ${column} does not contain the key's secret part`);
      }
    }
  });

  it('a created key authenticates with its role: a viewer key queries datasets', async () => {
    const viewer = await createKey(server, 'works', 'VIEWER');
    const answer = await post(server, DatasetNamesDocument, {}, bearer(viewer.key));
    assert.equal(answer.status, 200);
    assert.deepEqual(
      dataOf(answer.body, 'datasets').datasets.map((dataset) => dataset.name),
      ['iris', 'station_readings'],
    );
  });

  it('the X-API-Key header works as well as Authorization: Bearer', async () => {
    const admin = await createKey(server, 'x-api-key admin', 'ADMIN');
    const answer = await post(server, ApiKeysDocument, {}, { ...ANONYMOUS, 'x-api-key': admin.key });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.ok(dataOf(answer.body, 'apiKeys via X-API-Key').apiKeys.some((key) => key.id === admin.apiKey.id));
  });

  it('after revokeApiKey the key gets HTTP 401 UNAUTHENTICATED at once (revocation clears the 30 s cache), and apiKeys shows revokedAt', async () => {
    const victim = await createKey(server, 'to revoke', 'VIEWER');
    // Used before revoking, so the key's identity is in the cache.
    dataOf((await post(server, DatasetNamesDocument, {}, bearer(victim.key))).body, 'before revoking');
    const revoked = dataOf(await server.graphql(RevokeApiKeyDocument, { id: victim.apiKey.id }), 'revokeApiKey').revokeApiKey;
    assert.notEqual(revoked.revokedAt, null);

    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, bearer(victim.key)), 'revoked key, Authorization');
    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, { ...ANONYMOUS, 'x-api-key': victim.key }), 'revoked key, X-API-Key');
    const listed = dataOf(await server.graphql(ApiKeysDocument), 'apiKeys').apiKeys.find((key) => key.id === victim.apiKey.id);
    assert.equal(listed?.revokedAt, revoked.revokedAt);
  });

  it('revoking a key leaves every other key working', async () => {
    const kept = await createKey(server, 'kept', 'VIEWER');
    const dropped = await createKey(server, 'dropped', 'VIEWER');
    dataOf(await server.graphql(RevokeApiKeyDocument, { id: dropped.apiKey.id }), 'revokeApiKey');
    assert.equal((await post(server, DatasetNamesDocument, {}, bearer(kept.key))).status, 200);
    assert.equal((await post(server, DatasetNamesDocument, {}, bearer(server.adminKey!))).status, 200);
  });

  it('revokeApiKey of an unknown id is BAD_USER_INPUT', async () => {
    const result = await server.graphql(RevokeApiKeyDocument, { id: 'no-such-key' });
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result.errors));
    assert.equal(result.errors?.[0]?.extensions?.field, 'id');
  });

  it('createApiKey with an unknown role or an empty name is BAD_USER_INPUT and stores no key', async () => {
    const before = await countRows(server.app.datastore, 'ai_api_key');
    // A role outside the enum never reaches the resolver: GraphQL refuses the variable, naming the enum and the value.
    const badRole = await server.graphql(CreateApiKeyDocument, { name: 'root', role: 'superuser' as Role });
    assert.equal(badRole.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(badRole.errors));
    assert.equal(badRole.errors?.[0]?.message, 'Variable "$role" got invalid value "superuser"; Value "superuser" does not exist in "Role" enum.');
    const unknownRole = await server.graphql(CreateApiKeyDocument, { name: 'root', role: 'UNKNOWN' });
    assert.equal(unknownRole.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(unknownRole.errors));
    assert.equal(unknownRole.errors?.[0]?.extensions?.field, 'role');
    const emptyName = await server.graphql(CreateApiKeyDocument, { name: '   ', role: 'VIEWER' });
    assert.equal(emptyName.errors?.[0]?.extensions?.field, 'name', JSON.stringify(emptyName.errors));
    assert.equal(await countRows(server.app.datastore, 'ai_api_key'), before);
  });

  it('an unknown aim_ key gets HTTP 401 UNAUTHENTICATED, not anonymous access, in either header', async () => {
    const unknown = `aim_${'A'.repeat(43)}`;
    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, bearer(unknown)), 'unknown key, Authorization');
    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, { ...ANONYMOUS, 'x-api-key': unknown }), 'unknown key, X-API-Key');
  });

  it('a malformed Authorization header ("Basic xyz", a bare "Bearer") gets HTTP 401 UNAUTHENTICATED, not anonymous access', async () => {
    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, { authorization: 'Basic xyz' }), 'Basic');
    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, { authorization: 'Bearer' }), 'bare Bearer');
  });

  it('a bearer token that is no API key, on a server without JWT settings, gets HTTP 401 UNAUTHENTICATED', async () => {
    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, bearer('eyJhbGciOiJIUzI1NiJ9.e30.c2ln')), 'JWT without AUTH_JWT_*');
  });

  it('no key created or used appears in the server’s logs', async () => {
    const used = await createKey(server, 'log check', 'VIEWER');
    await post(server, DatasetNamesDocument, {}, bearer(used.key));
    await post(server, DatasetNamesDocument, {}, bearer(`${used.key}x`));
    const logs = server.logs.join('');
    assert.ok(logs.length > 0, 'the server logged something');
    assert.ok(!logs.includes(used.key.slice(10)), 'the key is not logged');
    assert.ok(!logs.includes(server.adminKey!.slice(10)), 'the harness admin key is not logged');
  });
});

/** The environment of `npm run apikey` against a test server's embedded database: nothing else inherited that could point elsewhere. */
function cliEnv(dataDir: string): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(DB_|AUTH_|NODE_ENV$|UV_THREADPOOL_SIZE$|DATA_DIR$)/.test(name)));
  return { ...inherited, DATA_DIR: dataDir };
}

function cli(dataDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [APIKEY_CLI, ...args], { env: cliEnv(dataDir), encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run apikey (create, list, revoke) against a running server’s database', () => {
  let server: TestServer;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-apikey-cli-'));
    server = await startTestServer({ DATA_DIR: dataDir });
  });
  after(async () => {
    await server?.stop();
  });

  it('--help prints the usage and exits 0; an unknown option says so, with the usage, and exits 2; create says which database it wrote to', () => {
    const help = cli(dataDir, '--help');
    assert.deepEqual([help.status, help.stderr], [0, ''], help.stderr);
    assert.match(help.stdout, /^usage:\n {2}npm run apikey -- create --name <name> --role <viewer\|operator\|admin>/);
    assert.match(help.stdout, /uses the same DB_\* and DATA_DIR configuration as the server/);
    const unknown = cli(dataDir, 'list', '--bogus');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^Unknown option '--bogus'.*\nusage:\n/s);
    const created = cli(dataDir, 'create', '--name', 'says where', '--role', 'viewer');
    assert.equal(created.status, 0, created.stderr);
    assert.equal(created.stderr, `(the embedded database ${path.join(dataDir, 'aimodel.sqlite')})\n`);
  });

  it('a first key before the first start: a DATA_DIR that does not exist yet is made, and the key is there', () => {
    const fresh = path.join(mkdtempSync(path.join(tmpdir(), 'aimodel-apikey-fresh-')), 'not', 'yet');
    const created = cli(fresh, 'create', '--name', 'first admin', '--role', 'admin');
    assert.equal(created.status, 0, created.stderr);
    const id = /created API key (\S+) /.exec(created.stdout)![1]!;
    assert.match(cli(fresh, 'list').stdout, new RegExp(`^${id} .*admin\\s+first admin$`, 'm'));
  });

  it('create prints a key once that the running server accepts with its role (operator: queries yes, apiKeys FORBIDDEN)', async () => {
    const created = cli(dataDir, 'create', '--name', 'cli operator', '--role', 'operator');
    assert.equal(created.status, 0, created.stderr);
    const keys = created.stdout.split('\n').filter((line) => line.startsWith('aim_'));
    assert.equal(keys.length, 1, created.stdout);
    assert.match(keys[0]!, KEY_SHAPE);
    assert.match(created.stdout, /created API key \S+ "cli operator" \(operator\)/);

    const answer = await post(server, DatasetNamesDocument, {}, bearer(keys[0]!));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    dataOf(answer.body, 'datasets with the CLI operator key');
    assertForbidden((await post(server, ApiKeysDocument, {}, bearer(keys[0]!))).body, 'admin', 'apiKeys with the CLI operator key');
  });

  it('a CLI key works over HTTP, list shows it by prefix without the key, and revoke (before the server has cached it) makes it refused', async () => {
    const created = cli(dataDir, 'create', '--name', 'cli viewer', '--role', 'viewer');
    assert.equal(created.status, 0, created.stderr);
    const key = created.stdout.split('\n').find((line) => line.startsWith('aim_'))!;
    const id = /created API key (\S+) /.exec(created.stdout)![1]!;

    const listed = cli(dataDir, 'list');
    assert.equal(listed.status, 0, listed.stderr);
    const line = listed.stdout.split('\n').find((candidate) => candidate.startsWith(id));
    assert.ok(line, `list shows ${id}: ${listed.stdout}`);
    assert.ok(line.includes(`${key.slice(0, 10)}…`), line);
    assert.match(line, /viewer\s+cli viewer$/);
    assert.ok(!listed.stdout.includes(key.slice(10)), 'list never prints a key');

    // A second key, revoked before the server ever saw it: no cache can hide the revocation.
    const other = cli(dataDir, 'create', '--name', 'cli revoked', '--role', 'viewer');
    const otherKey = other.stdout.split('\n').find((candidate) => candidate.startsWith('aim_'))!;
    const otherId = /created API key (\S+) /.exec(other.stdout)![1]!;
    const revoked = cli(dataDir, 'revoke', '--id', otherId);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`revoked API key ${otherId} "cli revoked"`));
    assertUnauthenticated(await post(server, DatasetNamesDocument, {}, bearer(otherKey)), 'a key revoked by the CLI');

    const answer = await post(server, DatasetNamesDocument, {}, bearer(key));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    dataOf(answer.body, 'datasets with the CLI key');

    // Revoking the used key: the server's API sees it revoked (its cache may accept it for up to 30 s more).
    assert.equal(cli(dataDir, 'revoke', '--id', id).status, 0);
    const overApi = dataOf(await server.graphql(ApiKeysDocument), 'apiKeys').apiKeys.find((candidate) => candidate.id === id);
    assert.notEqual(overApi?.revokedAt, null);
    assert.match(cli(dataDir, 'list').stdout, new RegExp(`${id} .* revoked \\d{4}-`));
  });

  it('a key created over GraphQL is listed by the CLI, and the CLI refuses bad arguments with a non-zero status', async () => {
    const created = await createKey(server, 'made over graphql', 'ADMIN');
    assert.ok(cli(dataDir, 'list').stdout.includes(`${created.apiKey.id}  ${created.apiKey.keyPrefix}…  admin     made over graphql`));
    const before = await countRows(server.app.datastore, 'ai_api_key');
    const badRole = cli(dataDir, 'create', '--name', 'x', '--role', 'root');
    assert.equal(badRole.status, 1);
    assert.match(badRole.stderr, /role must be viewer, operator or admin/);
    assert.equal(cli(dataDir, 'frobnicate').status, 2);
    assert.equal(cli(dataDir, 'revoke', '--id', 'no-such-key').status, 1);
    assert.equal(await countRows(server.app.datastore, 'ai_api_key'), before);
  });
});
