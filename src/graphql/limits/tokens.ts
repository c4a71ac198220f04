import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';
import { QueryLimitError, formatNumber } from './limits';

/*
 * GRAPHQL_MAX_TOKENS (TOO_MANY_TOKENS). graphql's own parser counts tokens and gives up past
 * `maxTokens` (Apollo Server passes it through `parseOptions`), so an oversized document is never
 * turned into a syntax tree. Its error is a plain syntax error, which Apollo reports as
 * GRAPHQL_PARSE_FAILED; `tokenLimitErrorOf` recognizes it so the error formatter can answer with the
 * stable code, the limit and the document's real token count.
 */

// graphql 16 words it "Document contains more that N tokens. Parsing aborted." (17 fixes "than").
const TOKEN_LIMIT_MESSAGE = /Document contains more th(?:at|an) (\d+) tokens\. Parsing aborted\./;

// Tokens are counted up to this many times the limit; `measured` is then that number ("more than").
const COUNT_UP_TO = 10;

// One answer per error object: the plugin and the formatter both ask, and counting lexes the document.
const converted = new WeakMap<object, QueryLimitError>();

/** The TOO_MANY_TOKENS error for graphql's "more than N tokens" syntax error (or one wrapping it); null otherwise. */
export function tokenLimitErrorOf(error: unknown): QueryLimitError | null {
  for (let current = error, hops = 0; current && hops < 5; hops++) {
    if (current instanceof QueryLimitError) return current.code === 'TOO_MANY_TOKENS' ? current : null;
    if (current instanceof GraphQLError) {
      const known = converted.get(current);
      if (known) return known;
      const match = TOKEN_LIMIT_MESSAGE.exec(current.message);
      if (match) {
        const maximum = Number(match[1]);
        // Counted only so far: lexing a whole 1 MB document would cost the server more than parsing did.
        const stopAt = maximum * COUNT_UP_TO;
        const measured = current.source ? countTokens(current.source.body, stopAt) : maximum + 1;
        const statement =
          measured >= stopAt ? `The document has more than ${formatNumber(stopAt)} tokens` : `The document has ${formatNumber(measured)} tokens`;
        const limitError = new QueryLimitError('TOO_MANY_TOKENS', maximum, measured, statement);
        converted.set(current, limitError);
        return limitError;
      }
    }
    current = (current as { originalError?: unknown }).originalError;
  }
  return null;
}

/**
 * Lexical tokens in a document, as graphql's parser counts them (punctuation, names, values; not
 * comments), up to `stopAt`. Counting stops at the first lexical error, so the result is then a lower
 * bound.
 */
export function countTokens(body: string, stopAt = Number.POSITIVE_INFINITY): number {
  const lexer = new Lexer(new Source(body));
  let count = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF && count < stopAt; token = lexer.advance()) count++;
  } catch {
    // An invalid character: the count so far.
  }
  return count;
}
