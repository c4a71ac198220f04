import type { ValidationRule } from 'graphql';
import { aliasLimitRule } from './aliases.rule';
import { depthLimitRule } from './depth.rule';
import { directiveLimitRule } from './directives.rule';
import type { QueryLimits } from '../../config/query-limits';

/**
 * The limits that depend on the document alone, as validation rules: Apollo Server runs them beside
 * graphql's own (`validationRules`, once per distinct document: validated documents are cached), and
 * graphql-ws runs them in `onSubscribe`. The cost depends on the variables too: cost.ts checks it for
 * every request, and the token limit is the parser's (tokens.ts).
 */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  return [depthLimitRule(limits.maxDepth), aliasLimitRule(limits.maxAliases), directiveLimitRule(limits.maxDirectives)];
}
