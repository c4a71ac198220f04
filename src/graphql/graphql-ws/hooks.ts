import {
  getOperationAST,
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import type { GraphqlContext } from '../context';
import { assertCost } from '../limits/cost';
import type { QueryLimits } from '../../config/query-limits';
import { limitErrorOf } from '../limits/limits';
import { assertNoNulCharacters } from '../limits/nul-characters';
import { queryLimitRules } from '../limits/rules';
import { tokenLimitErrorOf } from '../limits/tokens';
import { leadingCharacters } from '../../shared/character-count';

/**
 * graphql-ws does not go through Apollo Server: these `useServer` hooks give a socket operation what
 * HTTP gives it. `onSubscribe` parses, validates and checks the cost and NUL characters, refusing with
 * HTTP's codes while the socket stays open (graphql-ws's own parse would close it on a syntax error);
 * `onNext` and `onError` format errors as HTTP does, variable coercion labelled BAD_USER_INPUT.
 */
export function graphqlWsHooks(options: {
  schema: GraphQLSchema;
  limits: QueryLimits;
  introspection: boolean;
  formatErrors: (errors: readonly GraphQLError[], context?: GraphqlContext) => GraphQLFormattedError[];
}): Pick<ServerOptions<Record<string, unknown>, unknown>, 'onSubscribe' | 'onNext' | 'onError'> {
  const { schema, limits } = options;
  const rules = [...specifiedRules, ...queryLimitRules(limits), ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  return {
    onSubscribe(_socket, _id, payload): ExecutionArgs | readonly GraphQLError[] {
      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: limits.maxTokens });
      } catch (error) {
        return [tokenLimitErrorOf(error) ?? relabel(error, 'GRAPHQL_PARSE_FAILED')];
      }
      const invalid = validate(schema, document, rules);
      if (invalid.length > 0) return invalid.map((error) => (limitErrorOf(error) ? error : relabel(error, 'GRAPHQL_VALIDATION_FAILED')));
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) {
        const message = payload.operationName
          ? `Unknown operation named "${leadingCharacters(payload.operationName, 64)}".`
          : 'Must provide operation name if query contains multiple operations.';
        return [new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
      }
      try {
        assertCost(limits.maxCost, schema, document, operation, payload.variables);
        assertNoNulCharacters(document, operation, payload.variables);
      } catch (error) {
        return [error as GraphQLError];
      }
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
    },
    onNext(_socket, _id, _payload, args, result) {
      if (!result.errors?.length) return undefined;
      const context = args.contextValue as GraphqlContext | undefined;
      return { ...result, errors: options.formatErrors(result.errors.map(labelVariableErrors), context) };
    },
    onError(_socket, _id, _payload, errors) {
      return options.formatErrors(errors.map(labelVariableErrors));
    },
  };
}

/** The same error with the code Apollo Server would give it over HTTP. */
function relabel(error: unknown, code: string): GraphQLError {
  const original = error instanceof GraphQLError ? error : new GraphQLError(String((error as Error)?.message ?? error));
  return new GraphQLError(original.message, {
    nodes: original.nodes,
    source: original.source,
    positions: original.positions,
    originalError: original,
    extensions: { ...original.extensions, code },
  });
}

/** A variable the operation cannot use (wrong type, out of range, missing) is the caller's input: BAD_USER_INPUT. */
function labelVariableErrors(error: GraphQLError): GraphQLError {
  const coercion = !error.path && error.extensions?.code === undefined && error.nodes?.length === 1 && error.nodes[0]!.kind === Kind.VARIABLE_DEFINITION;
  return coercion ? relabel(error, 'BAD_USER_INPUT') : error;
}
