import {
  getNamedType,
  getOperationAST,
  isCompositeType,
  isObjectType,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/**
 * The fields whose answers come only from the server's own tables (runs, datasets), which change
 * only through the datastore's writes, and so tick the ChangeClock. An operation may be answered
 * from the cache only if every field it selects is listed here, by its parent type:
 * - a list names the fields of that type that may be cached (those not named may not);
 * - `ALL_FIELDS` marks a type every field of which may be: plain values read from its parent's row,
 *   or a connection's parts (the types a field leads to are checked by their own rules).
 * Not cacheable: what reads a user's table (Dataset.rowCount, preview, outcomes, profile, columns,
 * which follow the live catalog), the search engine (ModelRun.trace), the large per-point or
 * per-iteration reads (ModelRun.assignments, iterations), API keys, and introspection.
 * test/unit/plugins/response-cache/cacheable-fields.test.ts checks every field of Query, ModelRun and
 * Dataset is named in CACHEABLE or NOT_CACHEABLE, and that the fields of an ALL_FIELDS type lead only to
 * leaves or to types with a rule.
 */
export const ALL_FIELDS = 'all fields';

export const CACHEABLE: Readonly<Record<string, readonly string[] | typeof ALL_FIELDS>> = {
  Query: ['__typename', 'dataset', 'datasets', 'modelRun', 'modelRuns'],
  ModelRunConnection: ALL_FIELDS,
  ModelRunEdge: ALL_FIELDS,
  PageInfo: ALL_FIELDS,
  ModelRun: [
    '__typename',
    'attempts',
    'centroids',
    'clusterSizes',
    'createdAt',
    'dataset',
    'durationMs',
    'error',
    'finishedAt',
    'id',
    'kSelection',
    'kibanaUrl',
    'metrics',
    'outcomesPublishedAt',
    'params',
    'progress',
    'publishError',
    'reportUrl',
    'rowCounts',
    'startedAt',
    'status',
  ],
  Dataset: ['__typename', 'createdAt', 'description', 'featureColumns', 'id', 'keyColumns', 'latestRun', 'name', 'outcomeTable', 'runs', 'table', 'updatedAt'],
  ModelRunParams: ALL_FIELDS,
  KRange: ALL_FIELDS,
  Preparation: ALL_FIELDS,
  RunProgress: ALL_FIELDS,
  RunMetrics: ALL_FIELDS,
  PhaseTimings: ALL_FIELDS,
  KSelection: ALL_FIELDS,
  KScore: ALL_FIELDS,
  Centroid: ALL_FIELDS,
  RunError: ALL_FIELDS,
  PublishError: ALL_FIELDS,
  RunRowCounts: ALL_FIELDS,
};

/** The fields of the listed types that are deliberately never answered from the cache (see above). */
export const NOT_CACHEABLE: Readonly<Record<string, readonly string[]>> = {
  Query: ['apiKeys'],
  ModelRun: ['assignments', 'iterations', 'trace'],
  Dataset: ['columns', 'outcomes', 'preview', 'profile', 'rowCount'],
};

/**
 * Whether the operation `operationName` of `document` (validated against `schema`) is a query whose
 * every selected field is in CACHEABLE, through fragments of either kind. Introspection is not.
 */
export function isCacheableOperation(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  const root = schema.getQueryType();
  if (operation?.operation !== OperationTypeNode.QUERY || !root) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const cacheable = (parent: GraphQLCompositeType, selectionSet: SelectionSetNode): boolean => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const rule = CACHEABLE[parent.name];
        if (rule === undefined || (rule !== ALL_FIELDS && !rule.includes(name))) return false;
        if (!selection.selectionSet) continue;
        if (!isObjectType(parent)) return false;
        const field = parent.getFields()[name];
        const type = field && getNamedType(field.type);
        if (!type || !isCompositeType(type) || !cacheable(type, selection.selectionSet)) return false;
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) return false;
        const typeName = fragment.typeCondition?.name.value;
        const type = typeName ? schema.getType(typeName) : parent;
        if (!type || !isCompositeType(type) || !cacheable(type, fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  return cacheable(root, operation.selectionSet);
}
