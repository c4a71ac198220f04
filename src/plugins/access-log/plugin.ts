import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphqlContext } from '../../graphql/context';
import { operationLabel } from '../../metrics/operation-label';
import { promiseOf } from '../../shared/promise-of';

/**
 * Tells the HTTP access log (src/http/access-log.ts) the request's operation name: the one Apollo
 * resolved, else the one the client sent; a name that is not a plain identifier is logged as `invalid`.
 */
export function accessLogPlugin(): ApolloServerPlugin<GraphqlContext> {
  return {
    requestDidStart() {
      return Promise.resolve({
        willSendResponse({ operationName, request, contextValue }) {
          return promiseOf(() => {
            if (contextValue.access) contextValue.access.operation = operationLabel(operationName ?? request.operationName);
          });
        },
      });
    },
  };
}
