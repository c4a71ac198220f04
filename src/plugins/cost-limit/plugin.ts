import type { ApolloServerPlugin } from '@apollo/server';
import { assertCost } from '../../graphql/limits/cost';
import { promiseOf } from '../../shared/promise-of';
import type { CostLimitPluginOptions } from './options';

/** Refuses an operation over `maxCost` (QUERY_TOO_COSTLY) before it executes. */
export function costLimitPlugin(options: CostLimitPluginOptions): ApolloServerPlugin {
  return {
    requestDidStart() {
      return Promise.resolve({
        // After parsing and validation (a cached document is not validated again), with this
        // request's variables; an error thrown here is the response, with HTTP 400, and nothing runs.
        didResolveOperation({ schema, document, operation, request }) {
          return promiseOf(() => {
            if (operation) assertCost(options.maxCost, schema, document, operation, request.variables);
          });
        },
      });
    },
  };
}
