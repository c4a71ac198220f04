import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../metrics/metrics';
import type { GraphqlContext } from './context';
import { refusalOf } from './refusal';

// Operation names come from clients: only plain names become label values, so a caller cannot blow
// up the metric's cardinality with random strings (they count as "invalid").
const LABEL_SAFE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  return LABEL_SAFE.test(name) ? name : 'invalid';
}

/** Counts and times every GraphQL request by operation for /metrics, and counts refused or anonymous ones by code. */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphqlContext> {
  return {
    // Credentials that do not check out fail the context (401): no request hook runs after that.
    async contextCreationDidFail() {
      metrics.observeRefusedRequest('UNAUTHENTICATED');
    },
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operationName, operation, errors, response, contextValue }) {
          // Request-level errors (parse, validation) are on the context; field errors only in the body.
          const answered = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          metrics.observeGraphqlRequest(
            operationLabel(operationName),
            operation?.operation ?? 'unknown',
            (errors?.length ?? 0) + answered.length > 0 ? 'error' : 'ok',
            Number(process.hrtime.bigint() - started) / 1e9,
          );
          // The codes the client got first: a query limit reads QUERY_TOO_DEEP there, GRAPHQL_VALIDATION_FAILED before formatting.
          const codes = [...answered, ...(errors ?? [])].map((error) => error.extensions?.code);
          const refusal = refusalOf(codes, contextValue.identity);
          if (refusal) metrics.observeRefusedRequest(refusal);
        },
      };
    },
  };
}
