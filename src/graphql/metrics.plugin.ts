import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../metrics/metrics';
import type { GraphqlContext } from './context';

// Operation names come from clients: only plain names become label values, so a caller cannot blow
// up the metric's cardinality with random strings (they count as "invalid").
const LABEL_SAFE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  return LABEL_SAFE.test(name) ? name : 'invalid';
}

/** Counts and times every GraphQL request by operation for /metrics. */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphqlContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operationName, operation, errors, response }) {
          // Request-level errors (parse, validation) are on the context; field errors only in the body.
          const fieldErrors = response.body.kind === 'single' ? (response.body.singleResult.errors?.length ?? 0) : 0;
          metrics.observeGraphqlRequest(
            operationLabel(operationName),
            operation?.operation ?? 'unknown',
            (errors?.length ?? 0) + fieldErrors > 0 ? 'error' : 'ok',
            Number(process.hrtime.bigint() - started) / 1e9,
          );
        },
      };
    },
  };
}
