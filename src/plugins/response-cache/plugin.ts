import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { GraphqlContext } from '../../graphql/context';
import { operationRunsOf } from '../trace/run-ids';
import { isCacheableOperation } from './cacheable-fields';
import type { ChangeClock } from './change-clock';
import { ResponseStore, type KeptAnswer } from './response-store';

// A request waits this long at most for the same query executing; then it executes its own.
const LEADER_WAIT_MS = 5_000;

// A key (document, variables) longer than this is not kept: one request cannot fill the store with it.
const MAX_KEY_CHARACTERS = 64 * 1024;

export interface ResponseCacheOptions {
  readonly clock: ChangeClock;
  /**
   * GRAPHQL_CACHE_MS: how long an answer is served at most, from the moment its execution began,
   * however quiet the clock; 0 turns the cache off. Bounds how late a change reaches this replica's
   * answers when no Redis tells it of another replica's writes.
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
 * field reads the server's own tables (cacheable-fields.ts), asked by a caller with a role, are kept:
 * by that role, the document, the operation name and the values of the variables it declares, with
 * the ChangeClock's generation read before they executed. The first write after it (on this replica,
 * or told by Redis from another) retires them, and so does `maxAgeMs`. Answers with any error are never
 * kept. Apollo's pipeline still runs around a cached answer (parsing, validation, the query limits,
 * the access log, metrics and the trace, which gets the runs the answer was computed with); only
 * execution is skipped. When an answer has just gone, the requests for it that arrive while one of
 * them executes wait for that one's answer instead of each executing it again. A mutation's answer
 * waits until the other replicas have been told of its writes (through Redis).
 */
export function responseCachePlugin(options: ResponseCacheOptions): ApolloServerPlugin<GraphqlContext> {
  const now = options.now ?? Date.now;
  const observe = options.observe ?? (() => undefined);
  const store = new ResponseStore(options.maxEntries, options.maxCharacters);
  // The request executing each key's query now, whose answer the same query's requests meanwhile wait for.
  const leaders = new Map<string, Leader>();
  // Apollo keeps one parsed document per query text, so the verdict is worked out once for each operation.
  const verdicts = new WeakMap<OperationDefinitionNode, boolean>();
  let schema: GraphQLSchema | null = null;

  const cacheable = (document: DocumentNode, operation: OperationDefinitionNode): boolean => {
    if (!schema) return false;
    let verdict = verdicts.get(operation);
    if (verdict === undefined) verdicts.set(operation, (verdict = isCacheableOperation(schema, document, operation)));
    return verdict;
  };

  /** The kept answer, or the one the same query executing at this generation is about to give. */
  const answerFor = async (key: string, generation: number): Promise<KeptAnswer | null> => {
    const kept = store.get(key, generation, now() - options.maxAgeMs);
    if (kept) return kept;
    const leader = leaders.get(key);
    if (leader?.generation !== generation || now() - leader.at > LEADER_WAIT_MS) return null;
    const answer = await waitFor(leader);
    // A leader that gave nothing in time is not waited for again.
    if (!answer && leaders.get(key) === leader) leaders.delete(key);
    return answer;
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
        async responseForOperation({ document, operation, source, request, contextValue }) {
          const role = contextValue.identity.role;
          // Executed: while a write of this replica is under way (what it writes may already show), and
          // without an operation (the name the client sent matches none of the document's: execution says so).
          const key = options.clock.quiet && role && operation && cacheable(document, operation) ? keyOf(role, operation, request.variables, source) : null;
          if (key === null) {
            observe('bypass');
            return null;
          }
          const generation = options.clock.generation;
          const answer = await answerFor(key, generation);
          if (!answer) {
            // The first to execute it at this generation leads (in place of a leader of an older one, or
            // one that took too long); those that waited for a leader that gave nothing execute on their own.
            const current = leaders.get(key);
            if (current?.generation !== generation || now() - current.at > LEADER_WAIT_MS) {
              leading = new Leader(key, generation, now());
              leaders.set(key, leading);
            }
            observe('miss');
            return null;
          }
          observe('hit');
          const runs = operationRunsOf(contextValue);
          for (const id of answer.runIds) runs?.note({ id }, undefined);
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: answer.data } } };
        },
        async willSendResponse({ response, errors, operation, contextValue }) {
          if (operation?.operation === OperationTypeNode.MUTATION) await options.clock.told();
          if (!leading) return;
          const leader = leading;
          leading = null;
          if (leaders.get(leader.key) === leader) leaders.delete(leader.key);
          const body = response.body;
          const data = body.kind === 'single' && !body.singleResult.errors?.length ? body.singleResult.data : undefined;
          if (errors?.length || (response.http.status ?? 200) !== 200 || !data) {
            leader.settle(null);
            return;
          }
          // Frozen: every request given it shares the one object.
          const answer: KeptAnswer = {
            generation: leader.generation,
            at: leader.at,
            data: deepFreeze(data),
            runIds: operationRunsOf(contextValue)?.list() ?? [],
          };
          leader.settle(answer);
          // Kept only if no write has begun or ended since the generation was read: the answer may predate it.
          if (options.clock.generation === leader.generation && options.clock.quiet) store.set(leader.key, answer);
        },
      });
    },
  };
}

/**
 * The role, operation name, values of the declared variables (in their declared order; others do not
 * change the answer) and document an answer is kept under; null when the variables cannot be written
 * as JSON (nested past the stack's depth: execution refuses them anyway) or the key is too long.
 */
function keyOf(role: string, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined, source: string): string | null {
  // A variable left out takes its default, and one sent as null does not: [name] and [name, null] apart.
  const declared = (operation.variableDefinitions ?? []).map((definition) => {
    const name = definition.variable.name.value;
    return variables && Object.hasOwn(variables, name) ? [name, variables[name]] : [name];
  });
  let variableText: string;
  try {
    variableText = JSON.stringify(declared);
  } catch {
    return null;
  }
  const key = [role, operation.name?.value ?? '', variableText, source].join('\u0000');
  return key.length <= MAX_KEY_CHARACTERS ? key : null;
}

/** A request executing a cacheable query; `answer` settles when its response is ready (null: an error, nothing to share). */
class Leader {
  readonly answer: Promise<KeptAnswer | null>;
  settle!: (answer: KeptAnswer | null) => void;

  constructor(
    readonly key: string,
    readonly generation: number,
    /** When it began executing (ms since the epoch): the age of its answer counts from here. */
    readonly at: number,
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

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
