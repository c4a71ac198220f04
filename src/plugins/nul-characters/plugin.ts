import type { ApolloServerPlugin } from '@apollo/server';
import { assertNoNulCharacters } from '../../graphql/limits/nul-characters';

/** Refuses a NUL character (U+0000) in any string input, with BAD_USER_INPUT, before anything executes. */
export function nulCharacterPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        // After parsing and validation, with this request's variables; an error thrown here is the response (HTTP 400).
        async didResolveOperation({ document, operation, request }) {
          if (operation) assertNoNulCharacters(document, operation, request.variables);
        },
      };
    },
  };
}
