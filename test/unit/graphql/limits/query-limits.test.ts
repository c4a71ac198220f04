import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  getIntrospectionQuery,
  getNamedType,
  isObjectType,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { buildAppSchema } from '../../../../src/graphql/schema';
import { assertCost, DATABASE_COSTS, introspectionListSizes, LIST_SIZES, operationCost } from '../../../../src/graphql/limits/cost';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from '../../../../src/config/query-limits';
import { limitErrorOf, QueryLimitError } from '../../../../src/graphql/limits/limits';
import { queryLimitRules } from '../../../../src/graphql/limits/rules';
import { operationShape } from '../../../../src/graphql/limits/shape';
import { countTokens, tokenLimitErrorOf } from '../../../../src/graphql/limits/tokens';

// Compiled to dist/test/unit/graphql/: the repository root is four levels up.
const ROOT = path.resolve(__dirname, '../../../../..');

let schema: GraphQLSchema;
before(async () => {
  schema = await buildAppSchema();
});

function firstOperation(document: DocumentNode): OperationDefinitionNode {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  assert.ok(operation, 'the document has an operation');
  return operation;
}

function shapeOf(query: string) {
  const document = parse(query);
  const fragments = new Map(
    document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])),
  );
  return operationShape({ getSchema: () => schema, getFragment: (name) => fragments.get(name) }, firstOperation(document));
}

function costOf(query: string, variables?: Record<string, unknown>): number {
  const document = parse(query);
  return operationCost(schema, document, firstOperation(document), { variables });
}

/** The limit errors (and only those) graphql's validate reports with the limit rules. */
function limitErrors(query: string, limits: Partial<QueryLimits> = {}): QueryLimitError[] {
  const errors = validate(schema, parse(query), [...specifiedRules, ...queryLimitRules({ ...DEFAULT_QUERY_LIMITS, ...limits })]);
  const other = errors.filter((error) => !limitErrorOf(error));
  assert.deepEqual(
    other.map((error) => error.message),
    [],
    'no other validation errors',
  );
  return errors.map((error) => limitErrorOf(error)!);
}

/** `{ modelRuns { edges { node { dataset { runs { edges { node { … } } } } } } } }` nested `levels` times around `id`. */
function nestedRuns(levels: number): string {
  let inner = 'id';
  for (let level = 0; level < levels; level++) inner = `dataset { runs { edges { node { ${inner} } } } }`;
  return `{ modelRuns { edges { node { ${inner} } } } }`;
}

describe('query depth (GRAPHQL_MAX_DEPTH)', () => {
  it('counts nested fields: { datasets { name } } is 2, a leaf at the top is 1', () => {
    assert.equal(shapeOf('{ datasets { name } }').depth, 2);
    assert.equal(shapeOf('{ __typename }').depth, 1);
    assert.equal(shapeOf(nestedRuns(1)).depth, 8);
  });

  it('follows named and inline fragments, to their deepest field', () => {
    const query = `
      query { modelRuns { edges { ...Edge } } }
      fragment Edge on ModelRunEdge { node { ... on ModelRun { dataset { ...Deep } } } }
      fragment Deep on Dataset { runs { edges { node { id } } } }`;
    assert.equal(shapeOf(query).depth, 8);
  });

  it('counts introspection fields like any other, but __Type.ofType adds no depth', () => {
    assert.equal(shapeOf('{ __schema { types { fields { type { name } } } } }').depth, 5);
    assert.equal(shapeOf('{ __type(name: "ModelRun") { fields { type { ofType { ofType { ofType { name } } } } } } }').depth, 4);
    // Recursing through __Type.fields → __Field.type is counted: this is 11 deep.
    const recursive = '{ __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }';
    assert.equal(shapeOf(recursive).depth, 11);
    const errors = validate(schema, parse(recursive), [...specifiedRules, ...queryLimitRules(DEFAULT_QUERY_LIMITS)]);
    assert.ok(errors.some((error) => limitErrorOf(error)?.code === 'QUERY_TOO_DEEP'));
    // graphql 16's own MaxIntrospectionDepthRule refuses it too.
    assert.ok(errors.some((error) => error.message === 'Maximum introspection depth exceeded'));
  });

  it('the standard introspection query (what Apollo Sandbox sends) is 6 deep and passes every default limit', () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    assert.equal(shapeOf(query).depth, 6);
    assert.deepEqual(limitErrors(query), []);
    assert.ok(costOf(query) <= DEFAULT_QUERY_LIMITS.maxCost, `introspection costs ${costOf(query)}`);
    assert.ok(countTokens(query) <= DEFAULT_QUERY_LIMITS.maxTokens);
  });

  it('depth 10 passes and 11 is refused with QUERY_TOO_DEEP naming the limit and the depth measured', () => {
    // modelRuns edges node (3) + dataset runs edges node (4 each): nestedRuns(1) = 8, and `{ a { b } }` adds 2.
    const ten = '{ modelRuns { edges { node { dataset { runs { edges { node { dataset { latestRun { id } } } } } } } } } }';
    const eleven = '{ modelRuns { edges { node { dataset { runs { edges { node { dataset { latestRun { dataset { id } } } } } } } } } } }';
    assert.equal(shapeOf(ten).depth, 10);
    assert.equal(shapeOf(eleven).depth, 11);
    assert.deepEqual(limitErrors(ten), []);
    const [error] = limitErrors(eleven);
    assert.equal(error?.code, 'QUERY_TOO_DEEP');
    assert.deepEqual(
      { ...error.extensions, http: undefined },
      { code: 'QUERY_TOO_DEEP', limit: 'GRAPHQL_MAX_DEPTH', maximum: 10, measured: 11, http: undefined },
    );
    assert.match(error.message, /The operation is 11 fields deep; the limit is 10 \(GRAPHQL_MAX_DEPTH\)/);
  });

  it('a fragment cycle does not hang the rule (graphql reports the cycle itself)', () => {
    const document = parse('query { datasets { ...A } } fragment A on Dataset { latestRun { dataset { ...A } } }');
    const errors = validate(schema, document, [...specifiedRules, ...queryLimitRules(DEFAULT_QUERY_LIMITS)]);
    assert.ok(errors.some((error) => error.message.includes('Cannot spread fragment "A" within itself')));
  });

  it('fragments spread into each other many times are measured in linear time, not exponential', () => {
    // F0 spreads F1 twice, F1 spreads F2 twice … 40 levels: 2^40 paths, each fragment measured once.
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, index) =>
      index === levels - 1
        ? `fragment F${index} on Dataset { a${index}: name }`
        : `fragment F${index} on Dataset { ...F${index + 1} latestRun { dataset { ...F${index + 1} } } }`,
    );
    const query = `{ datasets { ...F0 } } ${fragments.join(' ')}`;
    const started = performance.now();
    const shape = shapeOf(query);
    assert.ok(performance.now() - started < 1_000, 'measured quickly');
    assert.equal(shape.aliases, 2 ** (levels - 1), 'the alias in the last fragment, once per path');
    assert.equal(shape.depth, 1 + 2 * (levels - 1) + 1);
    const costStarted = performance.now();
    assert.ok(costOf(query) > DEFAULT_QUERY_LIMITS.maxCost);
    assert.ok(performance.now() - costStarted < 1_000, 'costed quickly');
  });
});

describe('aliases (GRAPHQL_MAX_ALIASES) and directives (GRAPHQL_MAX_DIRECTIVES)', () => {
  const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, index) => `a${index}: datasets { name }`).join(' ')} }`;

  it('30 aliases pass, 31 are refused with TOO_MANY_ALIASES', () => {
    assert.deepEqual(limitErrors(aliased(30)), []);
    const [error] = limitErrors(aliased(31));
    assert.equal(error?.code, 'TOO_MANY_ALIASES');
    assert.equal(error?.extensions.measured, 31);
    assert.equal(error?.extensions.maximum, 30);
  });

  it('a fragment’s aliases count every time it is spread', () => {
    const query = `{ ${Array.from({ length: 8 }, (_, index) => `d${index}: datasets { ...Names }`).join(' ')} } fragment Names on Dataset { a: name b: table c: id }`;
    assert.equal(shapeOf(query).aliases, 8 + 8 * 3);
    assert.equal(limitErrors(query)[0]?.code, 'TOO_MANY_ALIASES');
  });

  it('20 directives pass, 21 are refused with TOO_MANY_DIRECTIVES; fragments, spreads and variables count', () => {
    const fields = (count: number) => Array.from({ length: count }, (_, index) => `f${index}: name @include(if: true)`).join(' ');
    assert.deepEqual(limitErrors(`{ datasets { ${fields(20)} } }`), []);
    const [error] = limitErrors(`{ datasets { ${fields(21)} } }`);
    assert.equal(error?.code, 'TOO_MANY_DIRECTIVES');
    assert.equal(error?.extensions.measured, 21);
    const spread = 'query ($x: Boolean = true) { a: datasets { ...N @include(if: $x) } b: datasets { ...N } } fragment N on Dataset { name @skip(if: false) }';
    assert.equal(shapeOf(spread).directives, 1 + 2);
  });

  it('the limits are taken from the configuration', () => {
    assert.equal(limitErrors('{ datasets { name } }', { maxDepth: 1 })[0]?.code, 'QUERY_TOO_DEEP');
    assert.equal(limitErrors('{ a: datasets { name } }', { maxAliases: 0 })[0]?.code, 'TOO_MANY_ALIASES');
    assert.equal(limitErrors('{ datasets { name @skip(if: false) } }', { maxDirectives: 0 })[0]?.code, 'TOO_MANY_DIRECTIVES');
  });
});

describe('query cost (GRAPHQL_MAX_COST)', () => {
  it('scalars cost 0, every object 1, database fields their extra', () => {
    assert.equal(costOf('{ __typename }'), 0);
    // datasets: 1 (query) + 20 assumed datasets × (1 object + 0 scalars)
    assert.equal(costOf('{ datasets { id name } }'), 1 + 20 * 1);
    // + rowCount (COUNT(*)) 5 per dataset
    assert.equal(costOf('{ datasets { id rowCount } }'), 1 + 20 * (1 + 5));
    assert.equal(costOf('{ dataset(id: "x") { profile { mean } } }'), 1 + 1 * (1 + 10 + 20 * 1));
  });

  it('a connection’s edges count as its first: literal, variable, default value, or 20 when omitted', () => {
    const runs = (first: string) => `query ($n: Int = 7) { modelRuns${first} { edges { node { id } } pageInfo { hasNextPage } } }`;
    // 2 (modelRuns) + 1 (connection) + first × (edge 1 + node 1) + pageInfo 1
    assert.equal(costOf(runs('(first: 5)')), 2 + 1 + 5 * 2 + 1);
    assert.equal(costOf(runs('')), 2 + 1 + 20 * 2 + 1);
    assert.equal(costOf(runs('(first: $n)'), { n: 50 }), 2 + 1 + 50 * 2 + 1);
    assert.equal(costOf(runs('(first: $n)')), 2 + 1 + 7 * 2 + 1, 'the variable’s default');
    assert.equal(costOf(runs('(first: $n)'), { n: null }), 2 + 1 + 20 * 2 + 1, 'null is the default page');
    assert.equal(costOf(runs('(first: 100000)')), 2 + 1 + 500 * 2 + 1, 'counted as at most 500 (more is refused when it runs)');
    assert.equal(costOf(runs('(first: $n)'), { n: 'NaN' }), 2 + 1 + 20 * 2 + 1, 'a value that cannot execute');
  });

  it('a run’s iterations count as the 5,000 records a run keeps: one run’s history a request at the default limit, not two', () => {
    const history = (alias: string) => `${alias}: modelRun(id: "${alias}") { iterations { k inertia clusterSizes } }`;
    // modelRun 1 (DataLoader) + 1 object + 5,000 records × 1
    assert.equal(costOf(`{ ${history('a')} }`), 1 + 1 + 5_000);
    assert.ok(costOf(`{ ${history('a')} }`) <= DEFAULT_QUERY_LIMITS.maxCost);
    assert.ok(costOf(`{ ${history('a')} ${history('b')} }`) > DEFAULT_QUERY_LIMITS.maxCost, 'nine such aliases answered 41 MB at 1,000 a run');
  });

  it('nested lists multiply: first: 500 twice is refused, first: 5 twice passes', () => {
    const query = (first: number) => `{ modelRuns(first: ${first}) { edges { node { assignments(first: ${first}) { edges { node { cluster } } } } } } }`;
    assert.equal(costOf(query(500)), 2 + 1 + 500 * (1 + 1 + (5 + 1 + 500 * 2)));
    assert.equal(costOf(query(5)), 93);
    const document = parse(query(500));
    assert.throws(
      () => assertCost(DEFAULT_QUERY_LIMITS.maxCost, schema, document, firstOperation(document), {}),
      (error: unknown) =>
        error instanceof QueryLimitError && error.code === 'QUERY_TOO_COSTLY' && error.extensions.measured === 504_003 && error.extensions.maximum === 10_000,
    );
    const cheap = parse(query(5));
    assertCost(DEFAULT_QUERY_LIMITS.maxCost, schema, cheap, firstOperation(cheap), {});
  });

  it('fragments and aliases count every time they are used', () => {
    const once = costOf('{ dataset(id: "x") { profile { mean } } }');
    assert.equal(costOf('{ a: dataset(id: "x") { ...P } b: dataset(id: "y") { ...P } } fragment P on Dataset { profile { mean } }'), 2 * once);
  });

  it('the recursive introspection query graphql’s depth rule cannot stop at 10 is stopped by its cost', () => {
    const sizes = introspectionListSizes(schema);
    assert.equal(sizes.get('__Schema.types'), Object.keys(schema.getTypeMap()).length);
    const recursive = '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }';
    assert.equal(shapeOf(recursive).depth, 10);
    assert.ok(costOf(recursive) > DEFAULT_QUERY_LIMITS.maxCost, `costs ${costOf(recursive)}`);
  });

  it('every field the cost tables name exists in the schema (so the tables cannot go stale)', () => {
    for (const key of [...Object.keys(DATABASE_COSTS), ...Object.keys(LIST_SIZES)]) {
      const [typeName, fieldName] = key.split('.');
      const type = schema.getType(typeName!);
      assert.ok(type && isObjectType(type), `${typeName} is an object type`);
      assert.ok(type.getFields()[fieldName!], `${key} is a field`);
    }
    for (const key of Object.keys(LIST_SIZES)) {
      const [typeName, fieldName] = key.split('.');
      const field = (schema.getType(typeName!) as { getFields(): Record<string, { type: Parameters<typeof getNamedType>[0] }> }).getFields()[fieldName!]!;
      assert.ok(String(field.type).includes('['), `${key} is a list`);
    }
  });
});

describe('tokens (GRAPHQL_MAX_TOKENS)', () => {
  it('counts tokens as graphql’s parser does (comments do not count)', () => {
    assert.equal(countTokens('{ datasets { name } }'), 6);
    assert.equal(countTokens('# a comment\n{ a }'), 3);
    assert.equal(countTokens('{ a } \u0007 { b }'), 3, 'stops at an invalid character');
    assert.equal(countTokens('{ a b c d e f }', 4), 4, 'stops at stopAt');
  });

  it('graphql’s own maxTokens error becomes TOO_MANY_TOKENS with the document’s real count', () => {
    const query = `{ ${'a '.repeat(3000)}}`;
    let caught: unknown;
    try {
      parse(query, { maxTokens: 2_000 });
    } catch (error) {
      caught = error;
    }
    // This pins graphql's wording: if an upgrade changes it, this test says so.
    assert.match(String((caught as Error)?.message), /Document contains more th(at|an) 2000 tokens/);
    const error = tokenLimitErrorOf(caught);
    assert.ok(error);
    assert.deepEqual(
      { ...error.extensions, http: undefined },
      { code: 'TOO_MANY_TOKENS', limit: 'GRAPHQL_MAX_TOKENS', maximum: 2000, measured: 3002, http: undefined },
    );
    assert.equal(tokenLimitErrorOf(new Error('Syntax Error: Unexpected "}"')), null);
  });
});

describe('the operations the tests and the load script send', () => {
  // Operations sent with a page smaller than 500 (dataloader.test.ts, listing-history.test.ts), and the one sent
  // under a raised GRAPHQL_MAX_COST: 50 runs' histories are priced at 5,000 each.
  const SENT_WITH: Record<string, { first: number; maxCost?: number }> = {
    RunsWithDatasets: { first: 50 },
    RunsListing: { first: 50 },
    RunsListingWithHistory: { first: 50, maxCost: 300_000 },
  };

  it('each passes every default limit (with the largest page the tests use, 500)', () => {
    const files = readdirSync(path.join(ROOT, 'test/operations')).filter((name) => name.endsWith('.graphql'));
    const fragments = files.flatMap((name) =>
      parse(readFileSync(path.join(ROOT, 'test/operations', name), 'utf8')).definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION),
    );
    const bench = readFileSync(path.join(ROOT, 'bench/load.ts'), 'utf8');
    const benchQueries = [...bench.matchAll(/'((?:query|mutation) [^']+)'/g)].map((match) => match[1]!);
    assert.ok(benchQueries.length >= 3, 'the load script’s queries were found');
    const operations = [
      ...files.flatMap((name) =>
        parse(readFileSync(path.join(ROOT, 'test/operations', name), 'utf8')).definitions.filter(
          (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
        ),
      ),
      ...benchQueries.map((query) => firstOperation(parse(query))),
    ];
    assert.ok(operations.length > 10);
    for (const operation of operations) {
      const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
      const errors = validate(schema, document, queryLimitRules(DEFAULT_QUERY_LIMITS));
      assert.deepEqual(
        errors.map((error) => error.message),
        [],
        operation.name?.value,
      );
      const variables = Object.fromEntries(
        (operation.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, definition.variable.name.value === 'first' ? 500 : null]),
      );
      const sent = SENT_WITH[operation.name?.value ?? ''];
      if (sent) variables.first = sent.first;
      const cost = operationCost(schema, document, operation, { variables });
      const maxCost = sent?.maxCost ?? DEFAULT_QUERY_LIMITS.maxCost;
      assert.ok(cost <= maxCost, `${operation.name?.value} costs ${cost}, more than ${maxCost}`);
    }
  });
});
