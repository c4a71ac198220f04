import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { GraphqlContext } from '../../graphql/context';
import { operationRunsOf } from '../trace/run-ids';
import { isCacheableOperation } from './cacheable-fields';
import type { ChangeClock } from './change-clock';
import { ResponseStore } from './response-store';

export interface ResponseCacheOptions {
  readonly clock: ChangeClock;
  /**
   * GRAPHQL_CACHE_MS: how long an answer is served at most, however quiet the clock; 0 turns the cache
   * off. Bounds how late a change reaches this replica's answers when no Redis tells it of another
   * replica's writes.
   */
  readonly maxAgeMs: number;
  readonly maxEntries: number;
  /** Answers are kept while their JSON and keys add up to at most this many characters. */
  readonly maxCharacters: number;
  readonly observe?: (result: 'hit' | 'miss' | 'bypass') => void;
  readonly now?: () => number;
}

/**
 * Answers a query again from memory while nothing it could read has changed. Only queries whose every
 * field reads the server's own tables (cacheable-fields.ts) are kept, by the caller's role, document,
 * operation name and variables, with the ChangeClock's generation read before they executed: the first
 * committed write after it (on this replica, or told by Redis from another) retires them, and so does
 * `maxAgeMs`. Answers with any error are never kept. Apollo's pipeline still runs around a cached
 * answer (parsing, validation, the query limits, the access log, metrics and the trace, which gets the
 * runs the answer was computed with); only execution is skipped.
 */
export function responseCachePlugin(options: ResponseCacheOptions): ApolloServerPlugin<GraphqlContext> {
  const now = options.now ?? Date.now;
  const observe = options.observe ?? (() => undefined);
  const store = new ResponseStore(options.maxEntries, options.maxCharacters);
  // Apollo keeps one parsed document per query text, so the verdict is worked out once for each.
  const verdicts = new WeakMap<DocumentNode, Map<string, boolean>>();
  let schema: GraphQLSchema | null = null;

  const cacheable = (document: DocumentNode, operationName: string | null | undefined): boolean => {
    if (!schema) return false;
    let byName = verdicts.get(document);
    if (!byName) verdicts.set(document, (byName = new Map<string, boolean>()));
    let verdict = byName.get(operationName ?? '');
    if (verdict === undefined) byName.set(operationName ?? '', (verdict = isCacheableOperation(schema, document, operationName)));
    return verdict;
  };

  return {
    serverWillStart(service) {
      schema = service.schema;
      return Promise.resolve();
    },
    requestDidStart() {
      if (options.maxAgeMs <= 0) {
        return Promise.resolve({
          responseForOperation() {
            observe('bypass');
            return Promise.resolve(null);
          },
        });
      }
      let pending: { key: string; generation: number } | null = null;
      return Promise.resolve({
        responseForOperation({ document, operationName, source, request, contextValue }) {
          if (!cacheable(document, operationName)) {
            observe('bypass');
            return Promise.resolve(null);
          }
          const key = keyOf(contextValue.identity.role, operationName, request.variables, source);
          if (key === null) {
            observe('bypass');
            return Promise.resolve(null);
          }
          const generation = options.clock.generation;
          const kept = store.get(key, generation, now() - options.maxAgeMs);
          if (!kept) {
            pending = { key, generation };
            observe('miss');
            return Promise.resolve(null);
          }
          observe('hit');
          const runs = operationRunsOf(contextValue);
          for (const id of kept.runIds) runs?.note({ id }, undefined);
          const response: GraphQLResponse = {
            http: { status: undefined, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: { data: kept.data } },
          };
          return Promise.resolve(response);
        },
        willSendResponse({ response, errors, contextValue }) {
          // Kept only if no write has committed since the generation was read: the answer may predate it.
          if (pending?.generation !== options.clock.generation) return Promise.resolve();
          const body = response.body;
          if (errors?.length || (response.http.status ?? 200) !== 200 || body.kind !== 'single') return Promise.resolve();
          const { data, errors: fieldErrors } = body.singleResult;
          if (!data || fieldErrors?.length) return Promise.resolve();
          store.set(pending.key, { generation: pending.generation, at: now(), data, runIds: operationRunsOf(contextValue)?.list() ?? [] });
          return Promise.resolve();
        },
      });
    },
  };
}

/**
 * The role, operation name, variables and document an answer is kept under; null when the variables
 * cannot be written as JSON (nested past the stack's depth: execution refuses them as it does anyway).
 */
function keyOf(role: string | null, operationName: string | null | undefined, variables: Record<string, unknown> | undefined, source: string): string | null {
  let variableText: string;
  try {
    variableText = JSON.stringify(variables ?? {});
  } catch {
    return null;
  }
  return [role ?? '', operationName ?? '', variableText, source].join('\u0000');
}
