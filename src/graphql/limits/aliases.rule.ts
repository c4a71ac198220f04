import type { ValidationRule } from 'graphql';
import { describeOperation, QueryLimitError } from './limits';
import { operationShape } from './shape';

/**
 * GRAPHQL_MAX_ALIASES: refuses an operation with more than `maxAliases` aliased fields
 * (TOO_MANY_ALIASES). Aliases are how one request asks for the same field many times over
 * (`a1: modelRun(id: …) a2: modelRun(id: …) …`); a fragment's aliases count every time it is spread.
 */
export function aliasLimitRule(maxAliases: number): ValidationRule {
  return (context) => ({
    OperationDefinition(node) {
      const { aliases } = operationShape(context, node);
      if (aliases > maxAliases) {
        context.reportError(
          new QueryLimitError('TOO_MANY_ALIASES', maxAliases, aliases, `${describeOperation(node.name?.value)} uses ${aliases} aliases`, node),
        );
      }
    },
  });
}
