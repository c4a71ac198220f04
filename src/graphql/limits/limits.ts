import { GraphQLError, type ASTNode } from 'graphql';
import { leadingCharacters } from '../../shared/character-count';

/** The codes of refused operations; each is in src/errors/catalogue.ts and the README's table. */
export const LIMIT_CODES = ['QUERY_TOO_DEEP', 'QUERY_TOO_COSTLY', 'TOO_MANY_ALIASES', 'TOO_MANY_TOKENS', 'TOO_MANY_DIRECTIVES'] as const;
export type LimitCode = (typeof LIMIT_CODES)[number];

const SETTING: Record<LimitCode, string> = {
  QUERY_TOO_DEEP: 'GRAPHQL_MAX_DEPTH',
  QUERY_TOO_COSTLY: 'GRAPHQL_MAX_COST',
  TOO_MANY_ALIASES: 'GRAPHQL_MAX_ALIASES',
  TOO_MANY_TOKENS: 'GRAPHQL_MAX_TOKENS',
  TOO_MANY_DIRECTIVES: 'GRAPHQL_MAX_DIRECTIVES',
};

/**
 * An operation over one of the limits: `extensions` carry the code, the setting (`limit`), its value
 * (`maximum`) and what was `measured`. Apollo relabels validation errors GRAPHQL_VALIDATION_FAILED;
 * the error formatter puts the code back (`limitErrorOf`).
 */
export class QueryLimitError extends GraphQLError {
  constructor(
    readonly code: LimitCode,
    readonly maximum: number,
    readonly measured: number,
    /** What was measured, in words, e.g. "The operation is 12 fields deep". */
    statement: string,
    nodes?: ASTNode | readonly ASTNode[],
  ) {
    super(`${statement}; the limit is ${formatNumber(maximum)} (${SETTING[code]}). Nothing was executed.`, {
      nodes,
      extensions: { code, limit: SETTING[code], maximum, measured, http: { status: 400 } },
    });
    this.name = 'QueryLimitError';
  }
}

/** The QueryLimitError behind an error (directly, or wrapped by Apollo as its originalError), if any. */
export function limitErrorOf(error: unknown): QueryLimitError | null {
  for (let current = error, hops = 0; current && hops < 5; hops++) {
    if (current instanceof QueryLimitError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return null;
}

export function formatNumber(value: number): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US') : String(value);
}

/** How a limit's message names the operation: its name (cut at 64 characters) when it has one. */
export function describeOperation(name: string | undefined): string {
  return name ? `Operation "${leadingCharacters(name, 64)}"` : 'The operation';
}
