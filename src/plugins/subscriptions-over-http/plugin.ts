import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';
import { promiseOf } from '../../shared/promise-of';

/**
 * A subscription sent over HTTP is the client's mistake, not the server's: without this, graphql
 * executes it once as if it were a query, `modelRunUpdated` resolves to null for a non-null field,
 * and the client gets INTERNAL_SERVER_ERROR (masked in production). Refused with 400 BAD_REQUEST
 * before anything runs, pointing at graphql-ws.
 */
export function subscriptionsOverHttpRefused(): ApolloServerPlugin {
  return {
    requestDidStart() {
      return Promise.resolve({
        didResolveOperation({ operation }) {
          return promiseOf(() => {
            if (operation?.operation === OperationTypeNode.SUBSCRIPTION) {
              throw new GraphQLError('Subscriptions are served over graphql-ws (ws:// or wss:// on the same /graphql path), not over HTTP', {
                extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
              });
            }
          });
        },
      });
    },
  };
}
