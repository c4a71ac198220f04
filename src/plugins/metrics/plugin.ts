import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphqlContext } from '../../graphql/context';
import type { Metrics } from '../../metrics/metrics';
import { OperationLabels } from '../../metrics/operation-label';
import { refusalOf } from '../../metrics/refusal';
import { promiseOf } from '../../shared/promise-of';

/** Counts and times every GraphQL request by operation for /metrics, and counts refused or anonymous ones by code. */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphqlContext> {
  const labels = new OperationLabels();
  return {
    // Credentials that do not check out fail the context (401): no request hook runs after that. So do
    // credentials that could not be checked (the database away), which are no refusal.
    contextCreationDidFail({ error }) {
      return promiseOf(() => {
        if ((error as { extensions?: { code?: unknown } }).extensions?.code === 'UNAUTHENTICATED') metrics.observeRefusedRequest('UNAUTHENTICATED');
      });
    },
    requestDidStart() {
      const started = process.hrtime.bigint();
      return Promise.resolve({
        willSendResponse({ operationName, operation, errors, response, contextValue }) {
          return promiseOf(() => {
            // Request-level errors (parse, validation) are on the context; field errors only in the body.
            const answered = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
            metrics.observeGraphqlRequest(
              labels.labelOf(operationName, contextValue.identity.role !== null),
              operation?.operation ?? 'unknown',
              (errors?.length ?? 0) + answered.length > 0 ? 'error' : 'ok',
              Number(process.hrtime.bigint() - started) / 1e9,
            );
            // The codes the client got first: a query limit reads QUERY_TOO_DEEP there, GRAPHQL_VALIDATION_FAILED before formatting.
            const codes = [...answered, ...(errors ?? [])].map((error) => error.extensions?.code);
            const refusal = refusalOf(codes, contextValue.identity);
            if (refusal) metrics.observeRefusedRequest(refusal);
          });
        },
      });
    },
  };
}
