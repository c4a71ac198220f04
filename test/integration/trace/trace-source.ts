/**
 * A stored trace document's `_source` as the tests read it: the ECS fields and the aimodel.* parts
 * that src/modules/run/run.tracer.ts and src/plugins/trace/plugin.ts write. A document holds only the
 * parts of its action, hence the optional ones.
 */
export interface TraceSource {
  readonly '@timestamp': string;
  readonly event: { readonly kind: string; readonly type: readonly string[]; readonly action: string; readonly outcome?: string; readonly duration?: number };
  readonly trace?: { readonly id: string };
  readonly labels?: Readonly<Record<string, string>>;
  readonly http?: { readonly request: { readonly id: string } };
  readonly error?: { readonly code: string; readonly message: string };
  readonly aimodel: {
    readonly run?: {
      readonly id: string;
      readonly status?: string;
      readonly attempts?: number;
      readonly table?: string;
      readonly feature_columns?: string[];
      readonly duration_ms?: number | null;
    };
    readonly preparation?: { readonly rows_read: number; readonly rows_dropped: number };
    readonly input?: { readonly features: FeatureProfile[] };
    readonly iteration?: { readonly k: number; readonly restart: number; readonly number: number; readonly inertia: number };
    readonly score?: { readonly k: number; readonly silhouette: number | null; readonly davies_bouldin: number | null };
    readonly metrics?: { readonly chosen_k?: number; readonly inertia: number };
    readonly cluster?: { readonly id: number; readonly size: number };
    readonly outcomes?: { readonly rows: number };
    readonly graphql?: { readonly operation_name: string; readonly operation_type: string; readonly error_codes: string[]; readonly duration_ms: number };
  };
}

/** aimodel.input.features[]: a feature's profile over the rows a run read. */
export interface FeatureProfile {
  readonly column: string;
  readonly count: number;
  readonly nulls: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly stddev: number;
}

/** The engine (and ModelRun.trace's JSON `document`) hand a trace document back untyped; the tests read it as what the server wrote. */
export function traceSource(source: unknown): TraceSource {
  return source as TraceSource;
}
