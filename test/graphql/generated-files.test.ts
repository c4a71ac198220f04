import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { printAppSchema } from '../../src/graphql/schema';

const ROOT = path.resolve(__dirname, '../../..');

describe('generated files are current', () => {
  it('schema.graphql is exactly what the code emits (run `npm run generate` after changing the API)', async () => {
    const committed = readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8');
    assert.equal(committed, await printAppSchema());
  });

  it('the codegen output for test/operations matches schema.graphql (graphql-codegen --check)', () => {
    const result = spawnSync(path.join(ROOT, 'node_modules/.bin/graphql-codegen'), ['--config', 'codegen.yml', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, `graphql-codegen --check failed; run \`npm run generate\`:\n${result.stdout}\n${result.stderr}`);
  });
});
