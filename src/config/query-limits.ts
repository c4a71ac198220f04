/**
 * The limits every GraphQL operation is checked against before anything executes, on HTTP and on
 * graphql-ws alike (src/graphql/limits/ applies them); each comes from an environment variable.
 */
export interface QueryLimits {
  /** GRAPHQL_MAX_DEPTH, default 10: fields nested inside one another (depth.rule.ts). */
  readonly maxDepth: number;
  /** GRAPHQL_MAX_COST, default 10,000: the estimated cost of the operation (cost.ts). */
  readonly maxCost: number;
  /** GRAPHQL_MAX_ALIASES, default 30: aliased fields in one operation (aliases.rule.ts). */
  readonly maxAliases: number;
  /** GRAPHQL_MAX_TOKENS, default 2,000: lexical tokens in the document; parsing stops beyond (tokens.ts). */
  readonly maxTokens: number;
  /** GRAPHQL_MAX_DIRECTIVES, default 20: directives used in one operation (directives.rule.ts). */
  readonly maxDirectives: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({
  maxDepth: 10,
  maxCost: 10_000,
  maxAliases: 30,
  maxTokens: 2_000,
  maxDirectives: 20,
});
