import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { buildSchema, getNamedType, getOperationAST, isLeafType, isObjectType, parse, type GraphQLObjectType } from 'graphql';
import { CACHEABLE, isCacheableOperation, NOT_CACHEABLE } from '../../../../src/plugins/response-cache/cacheable-fields';

const SCHEMA_PATH = path.resolve(__dirname, '../../../../../schema.graphql');
const SCHEMA = buildSchema(readFileSync(SCHEMA_PATH, 'utf8'));

function objectType(name: string): GraphQLObjectType {
  const type = SCHEMA.getType(name);
  assert.ok(type && isObjectType(type), `${name} is an object type of the schema`);
  return type;
}

function cacheable(source: string, operationName?: string): boolean {
  const document = parse(source);
  const operation = getOperationAST(document, operationName);
  return !!operation && isCacheableOperation(SCHEMA, document, operation);
}

/** isCacheableOperation of each source, in a worker thread that is stopped after `timeoutMs`. */
async function judgedInWorker(sources: readonly string[], timeoutMs: number): Promise<boolean[]> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { readFileSync } = require('node:fs');
     const { buildSchema, getOperationAST, parse } = require('graphql');
     const { isCacheableOperation } = require(workerData.module);
     const schema = buildSchema(readFileSync(workerData.schema, 'utf8'));
     parentPort.postMessage(workerData.sources.map((source) => { const document = parse(source); return isCacheableOperation(schema, document, getOperationAST(document)); }));`,
    {
      eval: true,
      workerData: { sources, module: require.resolve('../../../../src/plugins/response-cache/cacheable-fields'), schema: SCHEMA_PATH },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<boolean[]>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`not judged within ${timeoutMs} ms`)), timeoutMs);
      worker.once('message', (verdicts: boolean[]) => resolve(verdicts));
      worker.once('error', reject);
    });
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}

describe('the fields the response cache may keep (cacheable-fields.ts)', () => {
  it('names every field of each listed type as cacheable or not, and nothing the schema lacks', () => {
    for (const [name, listed] of Object.entries(CACHEABLE)) {
      const fields = Object.keys(objectType(name).getFields()).sort();
      const named = [...listed, ...(NOT_CACHEABLE[name] ?? [])].sort();
      assert.deepEqual(named, fields, `${name}: every field is classified once, and only fields of the schema`);
    }
    for (const name of Object.keys(NOT_CACHEABLE)) assert.ok(CACHEABLE[name], `${name} also lists its cacheable fields`);
  });

  it('leads from every cacheable field to a leaf or to a listed type', () => {
    for (const [name, listed] of Object.entries(CACHEABLE)) {
      for (const field of listed) {
        const type = getNamedType(objectType(name).getFields()[field]!.type);
        assert.ok(isLeafType(type) || CACHEABLE[type.name] !== undefined, `${name}.${field} (${type.name}) is a leaf or a listed type`);
      }
    }
  });

  // Judged in a worker, given up on after 30 s (a watchdog, not a timing): judged spread by spread, the
  // 2^40 steps would block the thread that runs them past the suite's end.
  it('judges a fragment once however often it is spread (40 fragments, each spreading the next twice)', async () => {
    const fragments = Array.from({ length: 40 }, (_, index) => `fragment F${index} on Query { ...F${index + 1} ...F${index + 1} }`);
    const source = `query { ...F0 } ${fragments.join(' ')} fragment F40 on Query { datasets { name } }`;
    const refused = source.replace('fragment F40 on Query { datasets { name } }', 'fragment F40 on Query { apiKeys { id } }');
    assert.deepEqual(await judgedInWorker([source, refused], 30_000), [true, false]);
  });

  it('keeps run and dataset listings, through fragments of either kind', () => {
    assert.equal(cacheable('{ modelRuns(first: 20) { edges { node { id status dataset { name } metrics { inertia silhouette } } } } }'), true);
    assert.equal(cacheable('{ datasets { name latestRun { id status progress { fraction } } runs(first: 2) { totalCount pageInfo { hasNextPage } } } }'), true);
    assert.equal(cacheable('query Q($id: ID!) { modelRun(id: $id) { ...Run } } fragment Run on ModelRun { id params { k kRange { min max } } }', 'Q'), true);
    assert.equal(cacheable('{ modelRuns { edges { node { ... on ModelRun { id __typename } } } } __typename }'), true);
  });

  it('never keeps what reads a user table, the search engine, per-point data, keys, or introspection', () => {
    for (const source of [
      '{ datasets { name rowCount } }',
      '{ datasets { preview(first: 2) { edges { cursor } } } }',
      '{ datasets { columns { name } } }',
      '{ datasets { profile { column } } }',
      '{ dataset(name: "x") { outcomes { edges { cursor } } } }',
      '{ modelRun(id: "r") { trace { edges { cursor } } } }',
      '{ modelRun(id: "r") { iterations { inertia } } }',
      '{ modelRun(id: "r") { assignments { edges { cursor } } } }',
      '{ apiKeys { id } }',
      '{ __schema { queryType { name } } }',
      '{ __type(name: "ModelRun") { name } }',
      '{ modelRuns { edges { node { ...Live } } } } fragment Live on ModelRun { dataset { rowCount } }',
      '{ modelRuns { edges { node { ... on ModelRun { trace { totalCount } } } } } }',
    ]) {
      assert.equal(cacheable(source), false, source);
    }
  });

  it('keeps queries only: no mutation, no subscription; the operation named, among several', () => {
    assert.equal(cacheable('mutation { cancelModelRun(id: "r") { id } }'), false);
    assert.equal(cacheable('subscription { modelRunUpdated(id: "r") { id } }'), false);
    const two = 'query Listing { datasets { name } } query Keys { apiKeys { id } }';
    assert.equal(cacheable(two, 'Listing'), true);
    assert.equal(cacheable(two, 'Keys'), false);
    assert.equal(cacheable(two), false, 'two operations and no name: none is chosen');
    assert.equal(cacheable('query A { datasets { name } }', 'not a name'), false, 'a name that matches no operation');
  });
});
