import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../connection';
import { describeOperation, formatNumber, QueryLimitError } from './limits';
import { fieldDefinition } from './shape';

/*
 * The cost model (GRAPHQL_MAX_COST), estimated before anything executes, with the request's variables:
 *   cost(field) = DATABASE_COSTS[Type.field] + items × (1 + cost of its selections)
 * so each object returned costs 1 and scalars nothing. `items` is 1 for an object; for a list, the
 * connection's `first` (20 when omitted, at most 500), LIST_SIZES, the schema's own averages for
 * introspection lists, else 20. Nested lists multiply; fragments and aliases count each time they are
 * used; @skip/@include are ignored.
 */

/** Extra cost of a field whose resolver goes to the database (or the search engine), per resolution. */
export const DATABASE_COSTS: Readonly<Record<string, number>> = Object.freeze({
  'Query.datasets': 1, // one SELECT of the registry
  'Query.dataset': 1, // DataLoader, batched by id
  'Query.modelRuns': 2, // a filtered, ordered page of runs
  'Query.modelRun': 1, // DataLoader, batched by id
  'Query.apiKeys': 1,
  'Dataset.rowCount': 5, // COUNT(*) over the dataset's table
  'Dataset.profile': 10, // COUNT, MIN, MAX, AVG, STDDEV of every feature over the whole table
  'Dataset.preview': 5, // a page of the table in key order
  'Dataset.columns': 2, // the database catalog
  'Dataset.outcomes': 5, // a page of the outcome table
  'Dataset.runs': 2, // a page of runs
  'Dataset.latestRun': 1, // DataLoader
  'ModelRun.dataset': 1, // DataLoader
  'ModelRun.assignments': 5, // a page of ai_run_assignment
  'ModelRun.trace': 5, // a page of the trace, from Elasticsearch or the trace files
  'Mutation.registerDataset': 10, // catalog lookups, a key-uniqueness scan of the table, maybe CREATE TABLE
  'Mutation.updateDataset': 10,
  'Mutation.deleteDataset': 5,
  'Mutation.startModelRun': 10, // the checks read the table (row count, all-NULL features)
  'Mutation.cancelModelRun': 2,
  'Mutation.publishRunOutcomes': 10, // UPSERTs every assignment of the run
  'Mutation.createApiKey': 2,
  'Mutation.revokeApiKey': 2,
});

/** Items assumed for plain (unpaged) lists of objects other than DEFAULT_PAGE_SIZE. */
export const LIST_SIZES: Readonly<Record<string, number>> = Object.freeze({
  // Every iteration, as many as a run keeps (5,000), each with its clusterSizes (k numbers, up to 1,000):
  // one run's history a request. At 1,000, nine aliases of a k = 1,000 run's 1,513 records passed the
  // limit and answered 41 MB (3.6 s of the event loop) to a viewer.
  'ModelRun.iterations': 5_000,
  'KSelection.scores': 12, // one per k, kRange spans at most 12 values
});

export interface CostOptions {
  /** The request's variables (raw JSON), for `first: $n`. */
  readonly variables?: Readonly<Record<string, unknown>> | null;
}

/** The estimated cost of one operation of the document. */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, options: CostOptions = {}): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const variables = variableValues(operation, options.variables ?? {});
  const introspection = introspectionListSizes(schema);
  // A fragment's cost depends only on the fragment (and the request's variables): computed once each.
  const fragmentCosts = new Map<string, number>();
  const inProgress = new Set<string>();

  const selectionSet = (set: SelectionSetNode, parent: GraphQLNamedType | undefined, pageSize: number | undefined): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total += field(selection, parent, pageSize);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total += selectionSet(selection.selectionSet, condition ?? undefined, pageSize);
      } else total += fragment(selection.name.value, pageSize);
    }
    return total;
  };

  const fragment = (name: string, pageSize: number | undefined): number => {
    // A fragment on a connection type sees its page size: memoize per page size.
    const key = `${name}\u0000${pageSize ?? ''}`;
    const known = fragmentCosts.get(key);
    if (known !== undefined) return known;
    const definition = fragments.get(name);
    if (!definition || inProgress.has(key)) return 0;
    inProgress.add(key);
    const cost = selectionSet(definition.selectionSet, schema.getType(definition.typeCondition.name.value) ?? undefined, pageSize);
    inProgress.delete(key);
    fragmentCosts.set(key, cost);
    return cost;
  };

  const field = (node: FieldNode, parent: GraphQLNamedType | undefined, pageSize: number | undefined): number => {
    const definition = fieldDefinition(schema, parent, node);
    if (!definition || !parent) return 0; // unknown fields are refused by validation
    const key = `${parent.name}.${definition.name}`;
    const own = DATABASE_COSTS[key] ?? 0;
    const named = getNamedType(definition.type);
    if (isLeafType(named)) return own;
    const hasFirst = definition.args.some((argument) => argument.name === 'first');
    const page = hasFirst ? pageSizeOf(node, variables) : undefined;
    let items = 1;
    for (let levels = listLevels(definition.type); levels > 0; levels--) {
      items *= page ?? pageSize ?? LIST_SIZES[key] ?? introspection.get(key) ?? DEFAULT_PAGE_SIZE;
    }
    // `first` on a connection sizes the list inside it (its edges), not the connection object.
    const inner = node.selectionSet ? selectionSet(node.selectionSet, named, listLevels(definition.type) === 0 ? page : undefined) : 0;
    // `__Type.ofType` only unwraps a NON_NULL or LIST wrapper: the same type again, no new object.
    const objectCost = key === '__Type.ofType' ? 0 : 1;
    return own + items * (objectCost + inner);
  };

  return selectionSet(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined, undefined);
}

/** Throws QUERY_TOO_COSTLY when the operation's estimated cost is over `maxCost`. */
export function assertCost(
  maxCost: number,
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): void {
  const cost = operationCost(schema, document, operation, { variables });
  if (cost > maxCost) {
    throw new QueryLimitError(
      'QUERY_TOO_COSTLY',
      maxCost,
      cost,
      `${describeOperation(operation.name?.value)} has an estimated cost of ${formatNumber(cost)}`,
      operation,
    );
  }
}

function listLevels(type: GraphQLType): number {
  let levels = 0;
  for (let current = getNullableType(type); isListType(current); current = getNullableType(current.ofType)) levels++;
  return levels;
}

/** `first` as the resolver will see it: null/omitted → 20; at most 500 (more is refused), at least 0. */
function pageSizeOf(node: FieldNode, variables: ReadonlyMap<string, unknown>): number {
  const argument = node.arguments?.find((candidate) => candidate.name.value === 'first');
  if (!argument) return DEFAULT_PAGE_SIZE;
  const value = argument.value.kind === Kind.VARIABLE ? variables.get(argument.value.name.value) : valueFromASTUntyped(argument.value);
  // A value that is not a number never executes (GraphQL's Int coercion refuses it): any estimate will do.
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(0, Math.ceil(value)));
}

/** The request's variables, or the operation's default values where the request has none. */
function variableValues(operation: OperationDefinitionNode, given: Readonly<Record<string, unknown>>): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (Object.prototype.hasOwnProperty.call(given, name)) values.set(name, given[name]);
    else if (definition.defaultValue) values.set(name, valueFromASTUntyped(definition.defaultValue));
  }
  return values;
}

const introspectionCache = new WeakMap<GraphQLSchema, Map<string, number>>();

/** Average sizes of the introspection lists in this schema (at least 1 each). */
export function introspectionListSizes(schema: GraphQLSchema): Map<string, number> {
  const cached = introspectionCache.get(schema);
  if (cached) return cached;
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  let fields = 0;
  let fieldArgs = 0;
  let inputFields = 0;
  let enumValues = 0;
  let interfaces = 0;
  let possibleTypes = 0;
  for (const type of types) {
    if (isObjectType(type) || isInterfaceType(type)) {
      const own = Object.values(type.getFields());
      fields += own.length;
      fieldArgs += own.reduce((sum, field) => sum + field.args.length, 0);
      interfaces += type.getInterfaces().length;
    }
    if (isInterfaceType(type)) possibleTypes += schema.getPossibleTypes(type).length;
    if (isInputObjectType(type)) inputFields += Object.keys(type.getFields()).length;
    if (isEnumType(type)) enumValues += type.getValues().length;
  }
  const average = (total: number, over: number) => Math.max(1, Math.ceil(total / Math.max(1, over)));
  const sizes = new Map<string, number>([
    ['__Schema.types', Math.max(1, types.length)],
    ['__Schema.directives', Math.max(1, directives.length)],
    ['__Type.fields', average(fields, types.length)],
    ['__Type.inputFields', average(inputFields, types.length)],
    ['__Type.enumValues', average(enumValues, types.length)],
    ['__Type.interfaces', average(interfaces, types.length)],
    ['__Type.possibleTypes', average(possibleTypes, types.length)],
    ['__Field.args', average(fieldArgs, fields)],
    [
      '__Directive.args',
      average(
        directives.reduce((sum, directive) => sum + directive.args.length, 0),
        directives.length,
      ),
    ],
  ]);
  introspectionCache.set(schema, sizes);
  return sizes;
}
