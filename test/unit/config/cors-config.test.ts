import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config';
import { AppError } from '../../../src/errors/app-error';

const PRODUCTION = { NODE_ENV: 'production', AUTH_ANONYMOUS: 'none' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof AppError && error.code === 'CONFIG_INVALID', String(error));
    return (error.details as { problems: string[] }).problems;
  }
  return assert.fail('expected CONFIG_INVALID');
}

describe('CORS_ORIGINS', () => {
  it('unset: the loopback origins in development and test, none in production', () => {
    assert.deepEqual(loadConfig({}).cors, { origins: [], loopback: true });
    assert.deepEqual(loadConfig({ NODE_ENV: 'test' }).cors, { origins: [], loopback: true });
    assert.deepEqual(loadConfig(PRODUCTION).cors, { origins: [], loopback: false });
  });

  it('a list of origins is kept in order, trimmed, without duplicates, and replaces the loopback default', () => {
    const config = loadConfig({ CORS_ORIGINS: ' https://app.example.com ,http://localhost:5173,https://app.example.com, https://a.example:8443' });
    assert.deepEqual(config.cors, { origins: ['https://app.example.com', 'http://localhost:5173', 'https://a.example:8443'], loopback: false });
    assert.deepEqual(loadConfig({ ...PRODUCTION, CORS_ORIGINS: 'https://app.example.com' }).cors, { origins: ['https://app.example.com'], loopback: false });
  });

  it('none allows no origin, in development too', () => {
    assert.deepEqual(loadConfig({ CORS_ORIGINS: 'none' }).cors, { origins: [], loopback: false });
  });

  it('entries that are not origins refuse to start, each named with what to write instead', () => {
    assert.deepEqual(
      problems({ CORS_ORIGINS: 'https://app.example.com/path,app.example.com,*,https://App.example.com,ftp://files.example,https://a.example/,,' }),
      [
        'CORS_ORIGINS: "https://app.example.com/path" is not an origin (no path, query, user or trailing slash; lower case): write "https://app.example.com"',
        'CORS_ORIGINS: "app.example.com" is not an origin: write scheme://host[:port], e.g. https://app.example.com',
        'CORS_ORIGINS: "*" is not allowed (responses carry credentials); list the origins, or set none',
        'CORS_ORIGINS: "https://App.example.com" is not an origin (no path, query, user or trailing slash; lower case): write "https://app.example.com"',
        'CORS_ORIGINS: "ftp://files.example" is not an http(s) origin',
        'CORS_ORIGINS: "https://a.example/" is not an origin (no path, query, user or trailing slash; lower case): write "https://a.example"',
        'CORS_ORIGINS: an empty entry (two commas, or a trailing comma)',
      ],
    );
  });
});
