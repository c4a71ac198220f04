import type { ValidationRule } from 'graphql';
import { describeOperation, QueryLimitError } from './limits';
import { operationShape } from './shape';

/**
 * GRAPHQL_MAX_DIRECTIVES: refuses an operation using more than `maxDirectives` directives
 * (TOO_MANY_DIRECTIVES): on the operation, its variables, its fields, fragments and spreads, a
 * fragment's counting every time it is spread. Piling directives onto fields is a known way to make
 * validation itself slow.
 */
export function directiveLimitRule(maxDirectives: number): ValidationRule {
  return (context) => ({
    OperationDefinition(node) {
      const { directives } = operationShape(context, node);
      if (directives > maxDirectives) {
        context.reportError(
          new QueryLimitError('TOO_MANY_DIRECTIVES', maxDirectives, directives, `${describeOperation(node.name?.value)} uses ${directives} directives`, node),
        );
      }
    },
  });
}
