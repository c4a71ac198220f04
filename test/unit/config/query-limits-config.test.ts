import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config';
import { AppError } from '../../../src/errors/app-error';
import { DEFAULT_QUERY_LIMITS } from '../../../src/config/query-limits';

describe('query limit settings', () => {
  it('default to depth 10, cost 10,000, 30 aliases, 2,000 tokens, 20 directives and a 1 MiB body', () => {
    const config = loadConfig({});
    assert.deepEqual(config.queryLimits, { maxDepth: 10, maxCost: 10_000, maxAliases: 30, maxTokens: 2_000, maxDirectives: 20 });
    assert.deepEqual(config.queryLimits, DEFAULT_QUERY_LIMITS);
    assert.equal(config.bodyLimitBytes, 1_048_576);
  });

  it('are read from GRAPHQL_MAX_* and GRAPHQL_BODY_LIMIT (bytes, kb or mb)', () => {
    const config = loadConfig({
      GRAPHQL_MAX_DEPTH: '7',
      GRAPHQL_MAX_COST: '500',
      GRAPHQL_MAX_ALIASES: '0',
      GRAPHQL_MAX_TOKENS: '900',
      GRAPHQL_MAX_DIRECTIVES: '3',
      GRAPHQL_BODY_LIMIT: '512kb',
    });
    assert.deepEqual(config.queryLimits, { maxDepth: 7, maxCost: 500, maxAliases: 0, maxTokens: 900, maxDirectives: 3 });
    assert.equal(config.bodyLimitBytes, 512 * 1024);
    assert.equal(loadConfig({ GRAPHQL_BODY_LIMIT: '2MB' }).bodyLimitBytes, 2 * 1024 * 1024);
    assert.equal(loadConfig({ GRAPHQL_BODY_LIMIT: '4096' }).bodyLimitBytes, 4096);
  });

  it('refuses nonsense, every problem at once', () => {
    assert.throws(
      () => loadConfig({ GRAPHQL_MAX_DEPTH: '0', GRAPHQL_MAX_COST: 'lots', GRAPHQL_MAX_TOKENS: '10', GRAPHQL_BODY_LIMIT: '1gb', GRAPHQL_MAX_ALIASES: '-1' }),
      (error: unknown) => {
        assert.ok(error instanceof AppError && error.code === 'CONFIG_INVALID');
        for (const name of ['GRAPHQL_MAX_DEPTH', 'GRAPHQL_MAX_COST', 'GRAPHQL_MAX_TOKENS', 'GRAPHQL_BODY_LIMIT', 'GRAPHQL_MAX_ALIASES']) {
          assert.match(error.message, new RegExp(name));
        }
        return true;
      },
    );
  });
});
