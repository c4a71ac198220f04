import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildSchema, getNamedType, isLeafType, isObjectType, parse, type GraphQLObjectType } from 'graphql';
import { CACHEABLE, isCacheableOperation, NOT_CACHEABLE, ALL_FIELDS } from '../../../../src/plugins/response-cache/cacheable-fields';

const SCHEMA = buildSchema(readFileSync(path.resolve(__dirname, '../../../../../schema.graphql'), 'utf8'));

function objectType(name: string): GraphQLObjectType {
  const type = SCHEMA.getType(name);
  assert.ok(type && isObjectType(type), `${name} is an object type of the schema`);
  return type;
}

const cacheable = (source: string, operationName?: string) => isCacheableOperation(SCHEMA, parse(source), operationName);

describe('the fields the response cache may keep (cacheable-fields.ts)', () => {
  it('names every field of Query, ModelRun and Dataset as cacheable or not, and nothing the schema lacks', () => {
    for (const name of ['Query', 'ModelRun', 'Dataset']) {
      const fields = Object.keys(objectType(name).getFields()).sort();
      const rule = CACHEABLE[name];
      assert.ok(rule !== undefined && rule !== ALL_FIELDS, `${name} lists its cacheable fields`);
      const named = [...rule.filter((field) => field !== '__typename'), ...(NOT_CACHEABLE[name] ?? [])].sort();
      assert.deepEqual(named, fields, `${name}: every field is classified once, and only fields of the schema`);
    }
  });

  it('gives every field to a type only when each leads to a leaf or to a type with a rule of its own', () => {
    for (const [name, rule] of Object.entries(CACHEABLE)) {
      if (rule !== ALL_FIELDS) continue;
      for (const field of Object.values(objectType(name).getFields())) {
        const type = getNamedType(field.type);
        assert.ok(isLeafType(type) || CACHEABLE[type.name] !== undefined, `${name}.${field.name} (${type.name}) is a leaf or a type with a rule`);
      }
    }
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
  });
});
