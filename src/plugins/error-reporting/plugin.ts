import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphqlContext } from '../../graphql/context';
import type { ErrorReporting } from '../../graphql/format-error';
import { promiseOf } from '../../shared/promise-of';

/**
 * Hands each request's errors to the error reporting before Apollo formats them, so an internal
 * error is logged once under the id its response carries (src/graphql/format-error.ts).
 */
export function errorReportingPlugin(reporting: Pick<ErrorReporting, 'recordRequestError'>): ApolloServerPlugin<GraphqlContext> {
  return {
    requestDidStart() {
      return Promise.resolve({
        didEncounterErrors({ errors, contextValue }) {
          return promiseOf(() => {
            for (const error of errors) reporting.recordRequestError(error, contextValue);
          });
        },
      });
    },
  };
}
