import { defaultFieldResolver, getNamedType, type GraphQLField, type GraphQLSchema } from 'graphql';
import { isRunId } from '../../modules/run/run-id';

/** Where a request's OperationRuns sits on its GraphQL context (the plugin puts it there). */
const RUNS = Symbol('aimodel.trace.operationRuns');

/** Root fields already wrapped, so that a second server over the same schema does not wrap them twice. */
const WATCHED = new WeakSet<GraphQLField<unknown, unknown>>();

/**
 * The runs an operation started, cancelled or read: every root field whose type is the run type
 * (modelRun, startModelRun, cancelModelRun …) names one, by its result's id or else its `id` argument
 * (modelRun of an unknown id resolves to null). Nested fields and lists are not looked at.
 */
export class OperationRuns {
  private readonly ids = new Set<string>();

  /** Makes this the operation's collection: the root fields watchRunRootFields wrapped note their runs here. */
  attachTo(context: object): void {
    Object.defineProperty(context, RUNS, { value: this, configurable: true });
  }

  /**
   * A root field of the run type resolved to `result` (undefined when it failed), asked with `argumentId`.
   * An argument that cannot be a run's id is the caller's own text, of any length: it is not recorded.
   */
  note(result: unknown, argumentId: string | undefined): void {
    const resultId = (result as { id?: unknown } | null | undefined)?.id;
    const id = typeof resultId === 'string' ? resultId : argumentId !== undefined && isRunId(argumentId) ? argumentId : undefined;
    if (id) this.ids.add(id);
  }

  list(): string[] {
    return [...this.ids];
  }
}

/** The operation's OperationRuns, when the trace plugin attached one to `context`. */
export function operationRunsOf(context: object): OperationRuns | undefined {
  return (context as { [RUNS]?: OperationRuns })[RUNS];
}

/**
 * Wraps the resolvers of the schema's root query and mutation fields whose type is `runTypeName`: each
 * notes its run in the operation's OperationRuns. Only those few fields pay for it; a willResolveField
 * hook would make Apollo call every plugin around every field of every answer (20 runs of a listing:
 * hundreds of calls a request, about a sixth of a listing's CPU with Apollo's cache-control hook).
 */
export function watchRunRootFields(schema: GraphQLSchema, runTypeName: string): void {
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {}) as GraphQLField<unknown, unknown>[]) {
      if (getNamedType(field.type).name !== runTypeName || WATCHED.has(field)) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args: Record<string, unknown>, context: unknown, info) => {
        const runs = (context as { [RUNS]?: OperationRuns } | null | undefined)?.[RUNS];
        if (!runs) return resolve(source, args, context, info);
        const argumentId = typeof args.id === 'string' ? args.id : undefined;
        let result: unknown;
        try {
          result = resolve(source, args, context, info);
        } catch (error) {
          runs.note(undefined, argumentId);
          throw error;
        }
        if (!(result instanceof Promise)) {
          runs.note(result, argumentId);
          return result;
        }
        return result.then(
          (value: unknown) => {
            runs.note(value, argumentId);
            return value;
          },
          (error: unknown) => {
            runs.note(undefined, argumentId);
            throw error;
          },
        );
      };
      WATCHED.add(field);
    }
  }
}
