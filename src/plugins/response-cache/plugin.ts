import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { GraphqlContext } from '../../graphql/context';
import { operationRunsOf } from '../trace/run-ids';
import { isCacheableOperation } from './cacheable-fields';
import type { ChangeClock } from './change-clock';
import { ResponseStore, type KeptAnswer } from './response-store';

// A request waits this long at most for the same query executing; then it executes its own.
const LEADER_WAIT_MS = 5_000;

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
 * runs the answer was computed with); only execution is skipped. When an answer has just gone (a write,
 * its age), the requests for it that arrive while one of them executes wait for that one's answer
 * instead of each executing it again.
 */
export function responseCachePlugin(options: ResponseCacheOptions): ApolloServerPlugin<GraphqlContext> {
  const now = options.now ?? Date.now;
  const observe = options.observe ?? (() => undefined);
  const store = new ResponseStore(options.maxEntries, options.maxCharacters);
  // The request executing each key's query now, whose answer the same query's requests meanwhile wait for.
  const leaders = new Map<string, Leader>();
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
      let leading: Leader | null = null;
      return Promise.resolve({
        async responseForOperation({ document, operationName, source, request, contextValue }) {
          if (!cacheable(document, operationName)) {
            observe('bypass');
            return null;
          }
          const key = keyOf(contextValue.identity.role, operationName, request.variables, source);
          if (key === null) {
            observe('bypass');
            return null;
          }
          const generation = options.clock.generation;
          let kept = store.get(key, generation, now() - options.maxAgeMs);
          if (!kept) {
            // The same query already executing at this generation: its answer is this one's too.
            const leader = leaders.get(key);
            if (leader?.generation === generation) kept = (await waitFor(leader)) ?? undefined;
          }
          if (!kept) {
            leading = new Leader(key, generation);
            leaders.set(key, leading);
            observe('miss');
            return null;
          }
          observe('hit');
          const runs = operationRunsOf(contextValue);
          for (const id of kept.runIds) runs?.note({ id }, undefined);
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: kept.data } } };
        },
        willSendResponse({ response, errors, contextValue }) {
          if (!leading) return Promise.resolve();
          const leader = leading;
          leading = null;
          if (leaders.get(leader.key) === leader) leaders.delete(leader.key);
          const body = response.body;
          const data = body.kind === 'single' && !body.singleResult.errors?.length ? body.singleResult.data : undefined;
          if (errors?.length || (response.http.status ?? 200) !== 200 || !data) {
            leader.settle(null);
            return Promise.resolve();
          }
          const answer: KeptAnswer = { generation: leader.generation, at: now(), data, runIds: operationRunsOf(contextValue)?.list() ?? [] };
          leader.settle(answer);
          // Kept only if no write has committed since the generation was read: the answer may predate it.
          if (options.clock.generation === leader.generation) store.set(leader.key, answer);
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

/** A request executing a cacheable query; `answer` settles when its response is ready (null: an error, nothing to share). */
class Leader {
  readonly answer: Promise<KeptAnswer | null>;
  settle!: (answer: KeptAnswer | null) => void;

  constructor(
    readonly key: string,
    readonly generation: number,
  ) {
    this.answer = new Promise((resolve) => (this.settle = resolve));
  }
}

/** The leader's answer, or null if it has none or takes longer than LEADER_WAIT_MS. */
async function waitFor(leader: Leader): Promise<KeptAnswer | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), LEADER_WAIT_MS)));
  try {
    return await Promise.race([leader.answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
