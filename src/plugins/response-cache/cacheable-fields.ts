import {
  getNamedType,
  isCompositeType,
  isObjectType,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * The fields whose answers come only from the server's own tables (runs, datasets), which change
 * only through the datastore's writes, and so tick the ChangeClock. An operation may be answered
 * from the cache only if every field it selects is listed here, by its parent type; a field not listed
 * (a new one, say) is never answered from it. A listed field's answer must depend on nothing but those
 * rows and the caller's role: a cached answer skips the resolvers, and with them any check of the caller
 * beyond the role it is kept under.
 * Not cacheable: what reads a user's table (Dataset.rowCount, preview, outcomes, profile, columns,
 * which follow the live catalog), the search engine (ModelRun.trace), the large per-point or
 * per-iteration reads (ModelRun.assignments, iterations), API keys, and introspection.
 * test/unit/plugins/response-cache/cacheable-fields.test.ts checks every field of each listed type is
 * named in CACHEABLE or NOT_CACHEABLE, and that every listed field leads to a leaf or a listed type.
 */
export const CACHEABLE: Readonly<Record<string, readonly string[]>> = {
  Query: ['dataset', 'datasets', 'modelRun', 'modelRuns'],
  ModelRunConnection: ['edges', 'pageInfo', 'totalCount'],
  ModelRunEdge: ['cursor', 'node'],
  PageInfo: ['endCursor', 'hasNextPage', 'hasPreviousPage', 'startCursor'],
  ModelRun: [
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
  Dataset: ['createdAt', 'description', 'featureColumns', 'id', 'keyColumns', 'latestRun', 'name', 'outcomeTable', 'runs', 'table', 'updatedAt'],
  ModelRunParams: [
    'algorithm',
    'batchSize',
    'featureColumns',
    'initialization',
    'k',
    'kRange',
    'keyColumns',
    'maxIterations',
    'nInit',
    'preparation',
    'publishOutcomes',
    'seed',
    'table',
    'tolerance',
  ],
  KRange: ['max', 'min'],
  Preparation: ['missing', 'scaling'],
  RunProgress: ['fraction', 'iteration', 'lastShift', 'maxIterations', 'rowsPerSecond', 'rowsRead'],
  RunMetrics: ['calinskiHarabasz', 'converged', 'daviesBouldin', 'inertia', 'iterations', 'silhouette', 'silhouetteSampleSize', 'silhouetteSampled', 'timings'],
  PhaseTimings: ['clusterMs', 'prepareMs', 'publishMs', 'readMs', 'saveMs', 'scoreMs'],
  KSelection: ['chosenK', 'maxCappedByRows', 'rule', 'scores'],
  KScore: ['calinskiHarabasz', 'converged', 'daviesBouldin', 'inertia', 'iterations', 'k', 'silhouette'],
  Centroid: ['cluster', 'original', 'scaled'],
  RunError: ['code', 'message'],
  PublishError: ['at', 'code', 'message'],
  RunRowCounts: ['clustered', 'dropped', 'read'],
};

/** The fields of the listed types that are deliberately never answered from the cache (see above). */
export const NOT_CACHEABLE: Readonly<Record<string, readonly string[]>> = {
  Query: ['apiKeys'],
  ModelRun: ['assignments', 'iterations', 'trace'],
  Dataset: ['columns', 'outcomes', 'preview', 'profile', 'rowCount'],
};

/**
 * Whether `operation`, of `document` (validated against `schema`), is a query whose every selected
 * field is in CACHEABLE, through fragments of either kind. Introspection is not.
 */
export function isCacheableOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const root = schema.getQueryType();
  if (operation.operation !== OperationTypeNode.QUERY || !root) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // A named fragment is judged once, however often it is spread: spreads that each spread the next
  // fragment twice would otherwise take 2^n steps.
  const judged = new Map<string, boolean>();
  const cacheable = (parent: GraphQLCompositeType, selectionSet: SelectionSetNode): boolean => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        if (!CACHEABLE[parent.name]?.includes(name)) return false;
        if (!selection.selectionSet) continue;
        const field = isObjectType(parent) ? parent.getFields()[name] : undefined;
        const type = field && getNamedType(field.type);
        if (!type || !isCompositeType(type) || !cacheable(type, selection.selectionSet)) return false;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? schema.getType(typeName) : parent;
        if (!type || !isCompositeType(type) || !cacheable(type, selection.selectionSet)) return false;
      } else {
        const name = selection.name.value;
        let verdict = judged.get(name);
        if (verdict === undefined) {
          const fragment = fragments.get(name);
          const type = fragment && schema.getType(fragment.typeCondition.name.value);
          verdict = !!fragment && !!type && isCompositeType(type) && cacheable(type, fragment.selectionSet);
          judged.set(name, verdict);
        }
        if (!verdict) return false;
      }
    }
    return true;
  };
  return cacheable(root, operation.selectionSet);
}
