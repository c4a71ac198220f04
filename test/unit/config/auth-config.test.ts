import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config';
import { AppError } from '../../../src/errors/app-error';

const JWT = { AUTH_JWT_ISSUER: 'https://issuer.example', AUTH_JWT_AUDIENCE: 'ai-modeling-api' } as const;
/** 40 bytes: long enough, and distinctive, so any echo of it in a message would be found. */
const SECRET = 'S3cret-Value-That-Must-Never-Be-Printed!';
const PEM_BODY = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest';

function configError(env: Record<string, string>): AppError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AppError, `expected CONFIG_INVALID, got ${String(caught)}`);
  assert.equal(caught.code, 'CONFIG_INVALID');
  return caught;
}

/** The problems listed in the error, one per entry. */
const problems = (error: AppError) => error.details?.problems as string[];

describe('loadConfig: authentication (AUTH_*, RATE_LIMIT_RUNS_PER_MINUTE)', () => {
  it('development default: API keys on (remembered 5 s without Redis), anonymous viewer, no JWT, 30 runs per minute', () => {
    assert.deepEqual(loadConfig({}).auth, { apiKeys: true, apiKeyCacheMs: 5_000, anonymousRole: 'viewer', jwt: null, runsPerMinute: 30 });
  });

  it('AUTH_API_KEY_CACHE_MS takes 0 (no cache) to 3,600,000 and refuses anything else', () => {
    assert.equal(loadConfig({ AUTH_API_KEY_CACHE_MS: '0' }).auth.apiKeyCacheMs, 0);
    assert.equal(loadConfig({ AUTH_API_KEY_CACHE_MS: '3600000' }).auth.apiKeyCacheMs, 3_600_000);
    for (const value of ['-1', '3600001', '1.5']) assert.match(configError({ AUTH_API_KEY_CACHE_MS: value }).message, /AUTH_API_KEY_CACHE_MS/);
  });

  it('production default: API keys on and no anonymous access, which is valid', () => {
    assert.deepEqual(loadConfig({ NODE_ENV: 'production' }).auth, { apiKeys: true, apiKeyCacheMs: 5_000, anonymousRole: null, jwt: null, runsPerMinute: 30 });
  });

  it('AUTH_ANONYMOUS=none turns anonymous access off in development; an unknown value (admin) is refused', () => {
    assert.equal(loadConfig({ AUTH_ANONYMOUS: 'none' }).auth.anonymousRole, null);
    assert.match(configError({ AUTH_ANONYMOUS: 'admin' }).message, /AUTH_ANONYMOUS must be one of none, viewer, got "admin"/);
  });

  it('production with AUTH_ANONYMOUS=viewer is CONFIG_INVALID naming AUTH_ANONYMOUS', () => {
    const error = configError({ NODE_ENV: 'production', AUTH_ANONYMOUS: 'viewer' });
    assert.deepEqual(problems(error), ['AUTH_ANONYMOUS must be none when NODE_ENV=production']);
    assert.match(error.message, /AUTH_ANONYMOUS/);
  });

  it('production with AUTH_API_KEYS=false and no JWT settings is CONFIG_INVALID: no authentication at all', () => {
    const error = configError({ NODE_ENV: 'production', AUTH_API_KEYS: 'false' });
    assert.deepEqual(problems(error), ['NODE_ENV=production needs authentication: AUTH_API_KEYS=true or AUTH_JWT_* settings']);
  });

  it('production with AUTH_API_KEYS=false and JWT settings is valid (JWT only)', () => {
    const config = loadConfig({ NODE_ENV: 'production', AUTH_API_KEYS: 'false', AUTH_JWT_SECRET: SECRET, ...JWT });
    assert.equal(config.auth.apiKeys, false);
    assert.deepEqual(config.auth.jwt, {
      algorithm: 'HS256',
      secret: SECRET,
      publicKey: null,
      issuer: JWT.AUTH_JWT_ISSUER,
      audience: JWT.AUTH_JWT_AUDIENCE,
      roleClaim: 'role',
    });
  });

  it('AUTH_JWT_SECRET must have at least 32 bytes (bytes, not characters)', () => {
    assert.deepEqual(problems(configError({ AUTH_JWT_SECRET: 'x'.repeat(31), ...JWT })), ['AUTH_JWT_SECRET must have at least 32 bytes']);
    assert.equal(loadConfig({ AUTH_JWT_SECRET: 'x'.repeat(32), ...JWT }).auth.jwt?.algorithm, 'HS256');
    // 11 characters of 3 bytes each: 33 bytes.
    assert.equal(loadConfig({ AUTH_JWT_SECRET: '비'.repeat(11), ...JWT }).auth.jwt?.secret, '비'.repeat(11));
    assert.deepEqual(problems(configError({ AUTH_JWT_SECRET: '비'.repeat(10), ...JWT })), ['AUTH_JWT_SECRET must have at least 32 bytes']);
  });

  it('AUTH_JWT_SECRET and AUTH_JWT_PUBLIC_KEY together are refused', () => {
    const pem = `-----BEGIN PUBLIC KEY-----\\n${PEM_BODY}\\n-----END PUBLIC KEY-----`;
    const error = configError({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_PUBLIC_KEY: pem, ...JWT });
    assert.deepEqual(problems(error), ['Set one of AUTH_JWT_SECRET (HS256) and AUTH_JWT_PUBLIC_KEY (RS256), not both']);
  });

  it('JWT settings need both AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE', () => {
    const expected = ['AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE are required with JWT authentication'];
    assert.deepEqual(problems(configError({ AUTH_JWT_SECRET: SECRET })), expected);
    assert.deepEqual(problems(configError({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: JWT.AUTH_JWT_ISSUER })), expected);
    assert.deepEqual(problems(configError({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_AUDIENCE: JWT.AUTH_JWT_AUDIENCE })), expected);
  });

  it('AUTH_JWT_PUBLIC_KEY: literal \\n become line breaks, RS256 is chosen; a value that is no PEM public key is refused', () => {
    const jwt = loadConfig({ AUTH_JWT_PUBLIC_KEY: `-----BEGIN PUBLIC KEY-----\\n${PEM_BODY}\\n-----END PUBLIC KEY-----`, ...JWT }).auth.jwt;
    assert.equal(jwt?.algorithm, 'RS256');
    assert.equal(jwt?.secret, null);
    assert.equal(jwt?.publicKey, `-----BEGIN PUBLIC KEY-----\n${PEM_BODY}\n-----END PUBLIC KEY-----`);
    const error = configError({ AUTH_JWT_PUBLIC_KEY: `-----BEGIN CERTIFICATE-----\\n${PEM_BODY}\\n-----END CERTIFICATE-----`, ...JWT });
    assert.deepEqual(problems(error), ['AUTH_JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)']);
  });

  it('AUTH_JWT_ROLE_CLAIM names the role claim (default role)', () => {
    assert.equal(loadConfig({ AUTH_JWT_SECRET: SECRET, ...JWT }).auth.jwt?.roleClaim, 'role');
    assert.equal(
      loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ROLE_CLAIM: 'https://aim.example/roles', ...JWT }).auth.jwt?.roleClaim,
      'https://aim.example/roles',
    );
  });

  it('RATE_LIMIT_RUNS_PER_MINUTE is an integer from 1; 0 and text are refused', () => {
    assert.equal(loadConfig({ RATE_LIMIT_RUNS_PER_MINUTE: '2' }).auth.runsPerMinute, 2);
    assert.match(configError({ RATE_LIMIT_RUNS_PER_MINUTE: '0' }).message, /RATE_LIMIT_RUNS_PER_MINUTE must be an integer from 1 to 100000, got "0"/);
    assert.match(configError({ RATE_LIMIT_RUNS_PER_MINUTE: 'many' }).message, /RATE_LIMIT_RUNS_PER_MINUTE/);
  });

  it('AUTH_API_KEYS must be a boolean', () => {
    assert.match(configError({ AUTH_API_KEYS: 'maybe' }).message, /AUTH_API_KEYS must be true or false, got "maybe"/);
  });

  it('the JWT secret never appears in the CONFIG_INVALID message or details, whatever else is wrong', () => {
    const short = 'tooShort-S3cret!';
    const environments: Record<string, string>[] = [
      { NODE_ENV: 'production', AUTH_ANONYMOUS: 'viewer', AUTH_JWT_SECRET: SECRET, ...JWT },
      { NODE_ENV: 'production', AUTH_API_KEYS: 'false', AUTH_JWT_SECRET: short, ...JWT },
      { AUTH_JWT_SECRET: SECRET, AUTH_JWT_PUBLIC_KEY: `-----BEGIN PUBLIC KEY-----\\n${PEM_BODY}\\n-----END PUBLIC KEY-----` },
      { AUTH_JWT_SECRET: short, PORT: 'eighty' },
    ];
    for (const env of environments) {
      const error = configError(env);
      const shown = `${error.message}\n${JSON.stringify(error.details)}\n${error.stack ?? ''}`;
      assert.ok(!shown.includes(env.AUTH_JWT_SECRET!), `the secret is not in: ${shown}`);
    }
  });
});
