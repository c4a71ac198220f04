/**
 * Options of the cost-limit plugin (QUERY_TOO_COSTLY; the cost model is src/graphql/limits/cost.ts).
 *
 * Privacy: the plugin reads the operation and its variables to estimate the cost and keeps nothing;
 * a refusal names the limit, its value and the estimate, never a variable's value.
 */
export interface CostLimitPluginOptions {
  /** GRAPHQL_MAX_COST. Default 10,000 (DEFAULT_QUERY_LIMITS.maxCost): the largest estimated cost served. */
  readonly maxCost: number;
}
