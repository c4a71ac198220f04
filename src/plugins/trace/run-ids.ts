import { getNamedType, type GraphQLResolveInfo } from 'graphql';

/**
 * The runs an operation started, cancelled or read: every root field whose type is the run type
 * (modelRun, startModelRun, cancelModelRun …) names one, by its result's id or else its `id` argument
 * (modelRun of an unknown id resolves to null). Nested fields and lists are not looked at.
 */
export class OperationRuns {
  private readonly ids = new Set<string>();

  constructor(private readonly runTypeName: string) {}

  /** A willResolveField hook: returns the callback that sees the field's result, or nothing for other fields. */
  watch(args: Record<string, unknown>, info: GraphQLResolveInfo): ((error: Error | null, result?: unknown) => void) | undefined {
    if (info.path.prev !== undefined || getNamedType(info.returnType).name !== this.runTypeName) return undefined;
    const argumentId = typeof args.id === 'string' ? args.id : undefined;
    return (_error, result) => {
      const resultId = (result as { id?: unknown } | null | undefined)?.id;
      const id = typeof resultId === 'string' ? resultId : argumentId;
      if (id) this.ids.add(id);
    };
  }

  list(): string[] {
    return [...this.ids];
  }
}
