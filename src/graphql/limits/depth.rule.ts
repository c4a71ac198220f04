import type { ValidationRule } from 'graphql';
import { describeOperation, QueryLimitError } from './limits';
import { operationShape } from './shape';

/**
 * GRAPHQL_MAX_DEPTH: refuses an operation whose fields nest deeper than `maxDepth` (QUERY_TOO_DEEP).
 * Fragments are followed; introspection fields count like any other (but `__Type.ofType`, see shape.ts).
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context) => ({
    OperationDefinition(node) {
      const { depth } = operationShape(context, node);
      if (depth > maxDepth) {
        context.reportError(new QueryLimitError('QUERY_TOO_DEEP', maxDepth, depth, `${describeOperation(node.name?.value)} is ${depth} fields deep`, node));
      }
    },
  });
}
