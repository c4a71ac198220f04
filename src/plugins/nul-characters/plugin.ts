import type { ApolloServerPlugin } from '@apollo/server';
import { assertNoNulCharacters } from '../../graphql/limits/nul-characters';
import { promiseOf } from '../../shared/promise-of';

/** Refuses a NUL character (U+0000) in any string input, with BAD_USER_INPUT, before anything executes. */
export function nulCharacterPlugin(): ApolloServerPlugin {
  return {
    requestDidStart() {
      return Promise.resolve({
        // After parsing and validation, with this request's variables; an error thrown here is the response (HTTP 400).
        didResolveOperation({ document, operation, request }) {
          return promiseOf(() => {
            if (operation) assertNoNulCharacters(document, operation, request.variables);
          });
        },
      });
    },
  };
}
