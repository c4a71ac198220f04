import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  getIntrospectionQuery,
  parse,
  type FormattedExecutionResult,
  type IntrospectionInputValue,
  type IntrospectionQuery,
  type IntrospectionTypeRef,
} from 'graphql';
import { RunRepository } from '../../src/modules/run/run.repository';
import type { DatasetFieldsFragment, ModelRunsPageQuery, RunAssignmentsQuery, RunResultFragment } from '../generated/graphql';
import { startTestServer, type TestServer } from '../support/app-harness';
import { storedAssignments as storedAssignmentsOf } from '../support/assignments';
import { dataOf, pollUntil, runRecord, waitForRun } from '../support/runs';

/**
 * Every optional argument and every optional input field, through GraphQL over real HTTP: left out,
 * passed as a variable the request does not set (arguments), explicit null, and a given value. Left
 * out and null must answer exactly as the documented default; the given value as documented.
 *
 * The table below is complete by construction: the first test reads the schema by introspection and
 * fails when an optional argument or input field has no entry (or an entry names none), so a new one
 * cannot be added without its cases. On the embedded default (SQLite) with its demo datasets.
 */

/** Not in the request at all. */
const OMITTED = Symbol('omitted');
/** Passed as `$value`, a variable the request declares but does not set (arguments only). */
const UNSET = Symbol('unset variable');
type Mode = typeof OMITTED | typeof UNSET | null | { readonly value: unknown };

/** The expected answers may be values or promises of them (the test awaits them). */
interface OptionalCase<TValue = unknown> {
  /** Sends the operation with the argument (or input field) in this mode; returns the part of the answer compared, or its errors. */
  send(mode: Mode): Promise<unknown>;
  /** The documented default's answer: omitted, unset and null must give exactly this. */
  whenOmitted(): unknown;
  /** Patch inputs only (omitted fields stay as they are): what null answers instead. */
  whenNull?(): unknown;
  /** The value given, and what it must answer. */
  given(): TValue | Promise<TValue>;
  whenGiven(value: TValue): unknown;
}

/**
 * What the operation texts below select. They are built per case (an argument left out, null, or a
 * variable), so no generated document fits them; their nodes are typed from the generated operation
 * types where the selection is the same.
 */
interface Edge<TNode = unknown> {
  readonly cursor: string;
  readonly node: TNode;
}
/** A connection selected as `edges { cursor node … }`. */
interface Page<TNode = unknown> {
  readonly edges: readonly Edge<TNode>[];
}
/** A connection selected as `edges { node … }`. */
interface Nodes<TNode> {
  readonly edges: readonly { readonly node: TNode }[];
}
type RunNode = ModelRunsPageQuery['modelRuns']['edges'][number]['node'];
type AssignmentNode = NonNullable<RunAssignmentsQuery['modelRun']>['assignments']['edges'][number]['node'];
interface TraceNode {
  readonly id: string;
  readonly action: string;
}
interface RunIdsAnswer {
  readonly modelRuns: Nodes<Pick<RunNode, 'id'>>;
}
interface DatasetRunIdsAnswer {
  readonly dataset: { readonly runs: Nodes<Pick<RunNode, 'id'>> } | null;
}
interface TraceAnswer {
  readonly modelRun: { readonly trace: Nodes<TraceNode> | null } | null;
}
/** startModelRun's `id` and RUN_PARAMS. */
interface StartedRun {
  readonly id: string;
  readonly params: Omit<RunResultFragment['params'], 'table' | 'keyColumns' | 'featureColumns'>;
}

interface RunRow {
  readonly id: string;
  readonly status: string;
  readonly createdAt: string;
  readonly datasetId: string;
}

const IRIS = 'demo-iris';
/** Every trace action the schema documents (TraceEvent.action): `actions` omitted means all of them. */
const TRACE_ACTIONS = [
  'RUN_STARTED',
  'RUN_CLAIMED',
  'PREPARATION',
  'ITERATION',
  'K_EVALUATED',
  'CLUSTER',
  'RUN_SUCCEEDED',
  'OUTCOMES_PUBLISHED',
  'RUN_FAILED',
  'RUN_CANCELLED',
];
const RUN_PARAMS =
  'params { algorithm batchSize k kRange { min max } initialization nInit maxIterations tolerance seed preparation { missing scaling } publishOutcomes }';
const MAX_SEED = 2_147_483_647;

describe('optional arguments and input fields: omitted, null and given, for every one in the schema', () => {
  let server: TestServer;
  let copyId: string;
  let mainRunId: string;

  /** Sends an operation text; `TData` is what its selection answers. */
  const request = <TData>(text: string, variables: Record<string, unknown> = {}): Promise<FormattedExecutionResult<TData>> =>
    server.graphql<TData, Record<string, unknown>>(parse(text), variables);

  /** The compared part of an answer: `pick(data)`, or the errors' codes, fields and messages. */
  const answerOf = <TData>(result: FormattedExecutionResult<TData>, pick: (data: TData) => unknown): unknown =>
    result.errors
      ? { errors: result.errors.map((error) => ({ code: error.extensions?.code, field: error.extensions?.field, message: error.message })) }
      : pick(dataOf(result, 'the answer'));

  /**
   * An argument site. `operation(args, declarations)` is the operation text with the argument list
   * (`fixed` plus the argument under test) and the variable declarations put in.
   */
  const argumentSender =
    <TData>(
      operation: (args: string, declarations: string) => string,
      pick: (data: TData) => unknown,
      name: string,
      type: string,
      fixed: readonly string[] = [],
    ) =>
    async (mode: Mode): Promise<unknown> => {
      const args = [...fixed];
      const declarations: string[] = [];
      const variables: Record<string, unknown> = {};
      if (mode === null) args.push(`${name}: null`);
      else if (mode !== OMITTED) {
        args.push(`${name}: $value`);
        declarations.push(`$value: ${type}`);
        if (mode !== UNSET) variables.value = mode.value;
      }
      const text = operation(args.length ? `(${args.join(', ')})` : '', declarations.length ? `(${declarations.join(', ')})` : '');
      return answerOf(await request<TData>(text, variables), pick);
    };

  /** `base` with `path` (e.g. ['preparation', 'missing']) left out, null or set: an input object sent as a JSON variable. */
  const withField = (base: Record<string, unknown>, path: readonly string[], mode: Mode): Record<string, unknown> => {
    const [head, ...rest] = path as [string, ...string[]];
    const copy = { ...base };
    if (rest.length > 0) copy[head] = withField((base[head] ?? {}) as Record<string, unknown>, rest, mode);
    else if (mode === OMITTED || mode === UNSET) delete copy[head];
    else copy[head] = mode === null ? null : mode.value;
    return copy;
  };

  /** `first` and `after` of a connection whose operation selects `edges { cursor node … }`. */
  const pagingCases = <TData>(
    site: string,
    operation: (args: string, declarations: string) => string,
    edges: (data: TData) => readonly Edge[],
  ): Record<string, OptionalCase> => {
    const first = argumentSender(operation, edges, 'first', 'Int');
    const afterCursor = argumentSender(operation, edges, 'after', 'String', ['first: 5']);
    const all = async () => (await first({ value: 500 })) as Edge[];
    return {
      [`${site}(first)`]: {
        send: first,
        whenOmitted: async () => (await all()).slice(0, 20),
        given: () => 3,
        whenGiven: async () => (await all()).slice(0, 3),
      },
      [`${site}(after)`]: {
        send: afterCursor,
        whenOmitted: async () => (await all()).slice(0, 5),
        // The cursor of the second item: the page starts at the third.
        given: () => all().then((edges) => edges[1]!.cursor),
        whenGiven: async () => (await all()).slice(2, 7),
      },
    };
  };

  /** Every run, newest first, with what the filters look at. */
  const everyRun = async (): Promise<RunRow[]> => {
    const data = dataOf(
      await request<{ modelRuns: Nodes<Pick<RunNode, 'id' | 'status' | 'createdAt'> & { readonly dataset: { readonly id: string } | null }> }>(
        '{ modelRuns(first: 500) { edges { node { id status createdAt dataset { id } } } } }',
      ),
      'modelRuns',
    );
    return data.modelRuns.edges.map(({ node }) => ({ id: node.id, status: node.status, createdAt: node.createdAt, datasetId: node.dataset!.id }));
  };
  const ids = (runs: readonly RunRow[]) => runs.map((run) => run.id);
  const newestFirst = (runs: readonly RunRow[]) =>
    [...runs].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0));

  const modelRunsOperation = (args: string, declarations: string) => `query Runs${declarations} { modelRuns${args} { edges { cursor node { id } } } }`;
  const datasetRunsOperation = (args: string, declarations: string) =>
    `query Runs${declarations} { dataset(id: "${copyId}") { runs${args} { edges { cursor node { id } } } } }`;
  const runIdsOf = (data: RunIdsAnswer) => data.modelRuns.edges.map((edge) => edge.node.id);
  const datasetRunIdsOf = (data: DatasetRunIdsAnswer) => data.dataset!.runs.edges.map((edge) => edge.node.id);

  /** A filter field, through modelRuns(filter: $filter, first: 500). */
  const filterCase = <TValue>(field: string, given: () => TValue | Promise<TValue>, keep: (run: RunRow, value: TValue) => boolean): OptionalCase<TValue> => ({
    send: async (mode) =>
      answerOf(
        await request<RunIdsAnswer>('query Runs($filter: ModelRunFilter) { modelRuns(filter: $filter, first: 500) { edges { node { id } } } }', {
          filter: withField({}, [field], mode),
        }),
        runIdsOf,
      ),
    whenOmitted: async () => ids(await everyRun()),
    given,
    whenGiven: async (value) => ids((await everyRun()).filter((run) => keep(run, value))),
  });

  /** The parameters a start answers with (seed left out unless the case is about it), after the run has ended. */
  const startSender =
    (path: readonly string[], base: Record<string, unknown>, pick: (run: StartedRun) => unknown = ({ params: { seed: _seed, ...params } }) => params) =>
    async (mode: Mode): Promise<unknown> => {
      const result = await request<{ startModelRun: StartedRun }>(
        `mutation Start($input: StartModelRunInput!) { startModelRun(input: $input) { id ${RUN_PARAMS} } }`,
        { input: withField(base, path, mode) },
      );
      if (result.data?.startModelRun) await waitForRun(server, result.data.startModelRun.id);
      return answerOf(result, (data) => pick(data.startModelRun));
    };
  const START_BASE = { datasetId: IRIS, k: 3, seed: 1 };
  /** What a start with only k (and a seed) runs with, as documented in the README and the input's descriptions. */
  const DEFAULT_PARAMS = {
    algorithm: 'LLOYD',
    batchSize: null,
    k: 3,
    kRange: null,
    initialization: 'KMEANS_PLUS_PLUS',
    nInit: 1,
    maxIterations: 300,
    tolerance: 1e-6,
    preparation: { missing: 'DROP', scaling: 'STANDARD' },
    publishOutcomes: true,
  };
  const startCase = (field: string, given: unknown, changed: Record<string, unknown>): OptionalCase => ({
    send: startSender([field], START_BASE),
    whenOmitted: () => DEFAULT_PARAMS,
    given: () => given,
    whenGiven: () => ({ ...DEFAULT_PARAMS, ...changed }),
  });
  /** MINI_BATCH's defaults: 1,024 rows a batch, 10 passes over the table. */
  const MINI_BATCH_PARAMS = { ...DEFAULT_PARAMS, algorithm: 'MINI_BATCH', batchSize: 1_024, maxIterations: 10 };
  const EXACTLY_ONE = { errors: [{ code: 'BAD_USER_INPUT', field: 'k', message: 'Give exactly one of k or kRange' }] };

  /** The dataset's outcome table as stored (null: the default table); the schema does not serve it. */
  const storedOutcomeTable = async (datasetId: string): Promise<unknown> => {
    const q = (name: string) => server.app.datastore.dialect.quoteIdentifier(name);
    const [row] = await server.app.datastore.query({
      sql: `SELECT ${q('outcome_table')} FROM ${q('ai_dataset')} WHERE ${q('id')} = ?`,
      parameters: [datasetId],
      kind: 'select',
    });
    return row?.outcome_table ?? null;
  };
  const DATASET_FIELDS = 'id name description keyColumns featureColumns';
  type DatasetAnswer = Pick<DatasetFieldsFragment, 'id' | 'name' | 'description' | 'keyColumns' | 'featureColumns'>;

  const registerCase = (field: string, given: unknown, expected: (value: unknown) => Record<string, unknown>): OptionalCase => {
    const send = async (mode: Mode) => {
      const input = withField(
        { name: `optional-args ${randomUUID()}`, table: 'iris', keyColumns: ['sample_id'], featureColumns: ['sepal_length'] },
        [field],
        mode,
      );
      const result = await request<{ registerDataset: DatasetAnswer }>(
        `mutation Register($input: RegisterDatasetInput!) { registerDataset(input: $input) { ${DATASET_FIELDS} } }`,
        { input },
      );
      if (result.errors) return answerOf(result, () => null);
      const dataset = dataOf(result, 'registerDataset').registerDataset;
      return { description: dataset.description, outcomeTable: await storedOutcomeTable(dataset.id) };
    };
    return { send, whenOmitted: () => ({ description: null, outcomeTable: null }), given: () => given, whenGiven: (value) => expected(value) };
  };

  /** updateDataset on a dataset registered just before, changing one field: the dataset afterwards (its name as 'as registered' when unchanged). */
  const REGISTERED = {
    table: 'iris',
    keyColumns: ['sample_id'],
    featureColumns: ['sepal_length', 'sepal_width'],
    description: 'as registered',
    outcomeTable: 'optional_args_registered',
  };
  const AS_REGISTERED = {
    name: 'as registered',
    description: 'as registered',
    keyColumns: ['sample_id'],
    featureColumns: ['sepal_length', 'sepal_width'],
    outcomeTable: 'optional_args_registered',
  };
  const updateCase = (field: string, given: unknown, whenNull: Record<string, unknown>, whenGiven: Record<string, unknown>): OptionalCase => ({
    send: async (mode) => {
      const name = `optional-args ${randomUUID()}`;
      const registered = dataOf(
        await request<{ registerDataset: Pick<DatasetFieldsFragment, 'id'> }>(
          `mutation Register($input: RegisterDatasetInput!) { registerDataset(input: $input) { id } }`,
          { input: { ...REGISTERED, name } },
        ),
        'register',
      ).registerDataset;
      const result = await request<{ updateDataset: DatasetAnswer }>(
        `mutation Update($id: ID!, $input: UpdateDatasetInput!) { updateDataset(id: $id, input: $input) { ${DATASET_FIELDS} } }`,
        { id: registered.id, input: withField({}, [field], mode) },
      );
      if (result.errors) return answerOf(result, () => null);
      const { name: after, description, keyColumns, featureColumns } = dataOf(result, 'updateDataset').updateDataset;
      return { name: after === name ? 'as registered' : after, description, keyColumns, featureColumns, outcomeTable: await storedOutcomeTable(registered.id) };
    },
    whenOmitted: () => AS_REGISTERED,
    whenNull: () => ({ ...AS_REGISTERED, ...whenNull }),
    given: () => given,
    whenGiven: () => ({ ...AS_REGISTERED, ...whenGiven }),
  });

  /** dataset(id:) or dataset(name:) alone: without it neither is given, which is refused; with it, the dataset. */
  const datasetLookupCase = (name: 'id' | 'name', type: string, given: string): OptionalCase => ({
    send: argumentSender(
      (args, declarations) => `query Dataset${declarations} { dataset${args} { id name } }`,
      (data: { dataset: unknown }) => data.dataset,
      name,
      type,
    ),
    whenOmitted: () => ({ errors: [{ code: 'BAD_USER_INPUT', field: 'id', message: 'Give exactly one of id and name' }] }),
    given: () => given,
    whenGiven: () => ({ id: 'demo-iris', name: 'iris' }),
  });

  /** The site → its cases. Keys: `Type.field(argument)` for arguments, `InputType.field` for input fields. */
  const CASES: Record<string, OptionalCase> = {
    ...pagingCases('Query.modelRuns', modelRunsOperation, (data: { modelRuns: Page<Pick<RunNode, 'id'>> }) => data.modelRuns.edges),
    'Query.modelRuns(filter)': {
      send: argumentSender(modelRunsOperation, runIdsOf, 'filter', 'ModelRunFilter', ['first: 500']),
      whenOmitted: async () => ids(await everyRun()),
      given: () => ({ statuses: ['CANCELLED'] }),
      whenGiven: async () => ids((await everyRun()).filter((run) => run.status === 'CANCELLED')),
    },
    'Query.modelRuns(orderBy)': {
      send: argumentSender(modelRunsOperation, runIdsOf, 'orderBy', 'ModelRunOrder', ['first: 500']),
      // Documented: newest first, ties by id.
      whenOmitted: async () => ids(newestFirst(await everyRun())),
      given: () => ({ field: 'CREATED_AT', direction: 'ASC' }),
      whenGiven: async () => ids(newestFirst(await everyRun()).reverse()),
    },
    'ModelRunFilter.datasetIds': filterCase(
      'datasetIds',
      () => [copyId],
      (run, value) => value.includes(run.datasetId),
    ),
    'ModelRunFilter.statuses': filterCase(
      'statuses',
      () => ['CANCELLED'],
      (run, value) => value.includes(run.status),
    ),
    'ModelRunFilter.createdAfter': filterCase(
      'createdAfter',
      async () => (await everyRun())[5]!.createdAt,
      (run, value) => Date.parse(run.createdAt) > Date.parse(value),
    ),
    'ModelRunFilter.createdBefore': filterCase(
      'createdBefore',
      async () => (await everyRun())[5]!.createdAt,
      (run, value) => Date.parse(run.createdAt) < Date.parse(value),
    ),

    ...pagingCases('Dataset.runs', datasetRunsOperation, (data: { dataset: { runs: Page<Pick<RunNode, 'id'>> } | null }) => data.dataset!.runs.edges),
    'Dataset.runs(filter)': {
      send: argumentSender(datasetRunsOperation, datasetRunIdsOf, 'filter', 'ModelRunFilter', ['first: 500']),
      whenOmitted: async () => ids((await everyRun()).filter((run) => run.datasetId === copyId)),
      given: () => ({ statuses: ['SUCCEEDED'] }),
      whenGiven: async () => ids((await everyRun()).filter((run) => run.datasetId === copyId && run.status === 'SUCCEEDED')),
    },
    ...pagingCases(
      'Dataset.preview',
      (args, declarations) => `query Preview${declarations} { dataset(id: "${IRIS}") { preview${args} { edges { cursor node } } } }`,
      (data: { dataset: { preview: Page } | null }) => data.dataset!.preview.edges,
    ),
    ...pagingCases(
      'Dataset.outcomes',
      (args, declarations) =>
        `query Outcomes${declarations} { dataset(id: "${IRIS}") { outcomes${args} { edges { cursor node { entityKey runId cluster distance scoredAt } } } } }`,
      (data: { dataset: { outcomes: Page } | null }) => data.dataset!.outcomes.edges,
    ),

    ...pagingCases(
      'ModelRun.assignments',
      (args, declarations) =>
        `query Assignments${declarations} { modelRun(id: "${mainRunId}") { assignments${args} { edges { cursor node { entityKey cluster distance } } } } }`,
      (data: { modelRun: { assignments: Page } | null }) => data.modelRun!.assignments.edges,
    ),
    'ModelRun.assignments(cluster)': {
      send: argumentSender(
        (args, declarations) =>
          `query Assignments${declarations} { modelRun(id: "${mainRunId}") { assignments${args} { edges { node { entityKey cluster distance } } } } }`,
        (data: { modelRun: { assignments: Nodes<AssignmentNode> } | null }) => data.modelRun!.assignments.edges.map((edge) => edge.node),
        'cluster',
        'Int',
        ['first: 500'],
      ),
      // Documented: every cluster. The rows the run stored, read with plain SQL.
      whenOmitted: () => storedAssignments(),
      given: () => 1,
      whenGiven: async (value) => (await storedAssignments()).filter((row) => row.cluster === value),
    },
    ...pagingCases(
      'ModelRun.trace',
      (args, declarations) => `query Trace${declarations} { modelRun(id: "${mainRunId}") { trace${args} { edges { cursor node { id action } } } } }`,
      (data: { modelRun: { trace: Page | null } | null }) => data.modelRun!.trace!.edges,
    ),
    'ModelRun.trace(actions)': {
      send: argumentSender(
        (args, declarations) => `query Trace${declarations} { modelRun(id: "${mainRunId}") { trace${args} { edges { node { id action } } } } }`,
        (data: TraceAnswer) => data.modelRun!.trace!.edges.map((edge) => edge.node),
        'actions',
        '[TraceAction!]',
        ['first: 500'],
      ),
      // Documented: every action.
      whenOmitted: () => traceWithActions(TRACE_ACTIONS),
      given: () => ['ITERATION'],
      whenGiven: async () => (await traceWithActions(TRACE_ACTIONS)).filter((node) => node.action === 'ITERATION'),
    },
    'Query.dataset(id)': datasetLookupCase('id', 'ID', 'demo-iris'),
    'Query.dataset(name)': datasetLookupCase('name', 'String', 'iris'),

    'StartModelRunInput.k': {
      send: startSender(['k'], { datasetId: IRIS, seed: 1 }),
      whenOmitted: () => EXACTLY_ONE,
      given: () => 4,
      whenGiven: () => ({ ...DEFAULT_PARAMS, k: 4 }),
    },
    'StartModelRunInput.kRange': {
      send: startSender(['kRange'], { datasetId: IRIS, seed: 1 }),
      whenOmitted: () => EXACTLY_ONE,
      given: () => ({ min: 2, max: 3 }),
      whenGiven: () => ({ ...DEFAULT_PARAMS, k: null, kRange: { min: 2, max: 3 } }),
    },
    'StartModelRunInput.initialization': startCase('initialization', 'RANDOM', { initialization: 'RANDOM', nInit: 10 }),
    'StartModelRunInput.algorithm': startCase('algorithm', 'MINI_BATCH', MINI_BATCH_PARAMS),
    'StartModelRunInput.batchSize': {
      send: startSender(['batchSize'], { ...START_BASE, algorithm: 'MINI_BATCH' }),
      whenOmitted: () => MINI_BATCH_PARAMS,
      given: () => 64,
      whenGiven: () => ({ ...MINI_BATCH_PARAMS, batchSize: 64 }),
    },
    'StartModelRunInput.nInit': startCase('nInit', 2, { nInit: 2 }),
    'StartModelRunInput.maxIterations': startCase('maxIterations', 50, { maxIterations: 50 }),
    'StartModelRunInput.tolerance': startCase('tolerance', 0, { tolerance: 0 }),
    'StartModelRunInput.preparation': startCase('preparation', { missing: 'MEAN', scaling: 'MINMAX' }, { preparation: { missing: 'MEAN', scaling: 'MINMAX' } }),
    'StartModelRunInput.publishOutcomes': startCase('publishOutcomes', false, { publishOutcomes: false }),
    'StartModelRunInput.seed': {
      // Documented: drawn at random and recorded when omitted.
      send: startSender(['seed'], { datasetId: IRIS, k: 3 }, (run) =>
        run.params.seed === 42
          ? 42
          : Number.isInteger(run.params.seed) && run.params.seed >= 0 && run.params.seed <= MAX_SEED
            ? 'drawn and recorded'
            : run.params.seed,
      ),
      whenOmitted: () => 'drawn and recorded',
      given: () => 42,
      whenGiven: () => 42,
    },
    'StartModelRunInput.idempotencyKey': {
      // Two starts with the same input: one run (a key given) or two (none).
      send: async (mode) => {
        const input = withField({ ...START_BASE, publishOutcomes: false }, ['idempotencyKey'], mode);
        const start = () =>
          request<{ startModelRun: { id: string } }>('mutation Start($input: StartModelRunInput!) { startModelRun(input: $input) { id } }', { input });
        const [first, second] = [await start(), await start()];
        for (const result of [first, second]) if (result.data?.startModelRun) await waitForRun(server, result.data.startModelRun.id);
        return answerOf(first, (firstRun) => answerOf(second, (secondRun) => ({ sameRun: firstRun.startModelRun.id === secondRun.startModelRun.id })));
      },
      whenOmitted: () => ({ sameRun: false }),
      given: () => `optional-args ${randomUUID()}`,
      whenGiven: () => ({ sameRun: true }),
    },
    'PreparationInput.missing': {
      send: startSender(['preparation', 'missing'], { ...START_BASE, preparation: { scaling: 'NONE' } }),
      whenOmitted: () => ({ ...DEFAULT_PARAMS, preparation: { missing: 'DROP', scaling: 'NONE' } }),
      given: () => 'MEAN',
      whenGiven: () => ({ ...DEFAULT_PARAMS, preparation: { missing: 'MEAN', scaling: 'NONE' } }),
    },
    'PreparationInput.scaling': {
      send: startSender(['preparation', 'scaling'], { ...START_BASE, preparation: { missing: 'MEAN' } }),
      whenOmitted: () => ({ ...DEFAULT_PARAMS, preparation: { missing: 'MEAN', scaling: 'STANDARD' } }),
      given: () => 'MINMAX',
      whenGiven: () => ({ ...DEFAULT_PARAMS, preparation: { missing: 'MEAN', scaling: 'MINMAX' } }),
    },

    'RegisterDatasetInput.description': registerCase('description', 'flowers again', (value) => ({ description: value, outcomeTable: null })),
    // Documented: default ai_cluster_outcome, stored as null (the default table).
    'RegisterDatasetInput.outcomeTable': registerCase('outcomeTable', 'optional_args_outcomes', (value) => ({ description: null, outcomeTable: value })),

    // A patch: omitted fields stay as they are; null keeps name and columns, clears the description, and
    // puts back the default outcome table.
    'UpdateDatasetInput.name': updateCase('name', 'optional-args renamed', {}, { name: 'optional-args renamed' }),
    'UpdateDatasetInput.keyColumns': updateCase('keyColumns', ['sample_id', 'species'], {}, { keyColumns: ['sample_id', 'species'] }),
    'UpdateDatasetInput.featureColumns': updateCase('featureColumns', ['petal_length'], {}, { featureColumns: ['petal_length'] }),
    'UpdateDatasetInput.description': updateCase('description', 'changed', { description: null }, { description: 'changed' }),
    'UpdateDatasetInput.outcomeTable': updateCase('outcomeTable', 'optional_args_changed', { outcomeTable: null }, { outcomeTable: 'optional_args_changed' }),
  };

  function storedAssignments(): Promise<{ entityKey: string; cluster: number; distance: number }[]> {
    return storedAssignmentsOf(server.app.datastore, mainRunId);
  }

  async function traceWithActions(actions: readonly string[]): Promise<TraceNode[]> {
    const data = dataOf(
      await request<TraceAnswer>(
        'query Trace($id: ID!, $actions: [TraceAction!]) { modelRun(id: $id) { trace(actions: $actions, first: 500) { edges { node { id action } } } } }',
        { id: mainRunId, actions },
      ),
      'trace',
    );
    return data.modelRun!.trace!.edges.map((edge) => edge.node);
  }

  before(async () => {
    server = await startTestServer({ RUN_HEARTBEAT_MS: '600000', RUN_QUEUE_LIMIT: '1000', RATE_LIMIT_RUNS_PER_MINUTE: '100000', TRACE_FLUSH_MS: '20' });
    copyId = dataOf(
      await request<{ registerDataset: Pick<DatasetFieldsFragment, 'id'> }>(
        'mutation { registerDataset(input: { name: "optional-args iris copy", table: "iris", keyColumns: ["sample_id"], featureColumns: ["petal_length", "petal_width"] }) { id } }',
      ),
      'register the copy',
    ).registerDataset.id;
    const start = async (input: Record<string, unknown>) => {
      const run = dataOf(
        await request<{ startModelRun: { id: string } }>('mutation Start($input: StartModelRunInput!) { startModelRun(input: $input) { id } }', { input }),
        'start',
      ).startModelRun;
      await waitForRun(server, run.id);
      return run.id;
    };
    // More than one default page (20) of runs, most of them on the copy, and one CANCELLED run.
    for (let seed = 1; seed <= 22; seed++) await start({ datasetId: copyId, k: 2, seed, publishOutcomes: false });
    await new RunRepository(server.app.datastore).insert(runRecord(copyId, { status: 'CANCELLED', createdAt: new Date(), finishedAt: new Date() }));
    // Random starts, ten restarts, tolerance 0: more than 20 trace documents; its outcomes are published.
    mainRunId = await start({ datasetId: IRIS, k: 3, seed: 7, initialization: 'RANDOM', nInit: 10, tolerance: 0 });
    await pollUntil(
      () => traceWithActions(['RUN_SUCCEEDED']),
      (nodes) => nodes.length === 1,
      'the main run’s trace',
    );
    // …and nothing more arrives: the trace compared below is complete.
    let previous: TraceNode[] = [];
    await pollUntil(
      () => traceWithActions(TRACE_ACTIONS),
      (nodes) => {
        const stable = nodes.length === previous.length;
        previous = nodes;
        return stable;
      },
      'the main run’s trace to stop growing',
      60_000,
      200,
    );
  });
  after(async () => {
    await server?.stop();
  });

  it('every optional argument and input field of the schema has its cases here, and each declares null as its default outside patch inputs', async () => {
    const schema = dataOf(await request<IntrospectionQuery>(getIntrospectionQuery()), 'introspection');
    const sites = new Map<string, IntrospectionInputValue>();
    for (const type of schema.__schema.types) {
      if (type.name.startsWith('__')) continue;
      if (type.kind === 'OBJECT')
        for (const field of type.fields) for (const arg of field.args) if (optional(arg.type)) sites.set(`${type.name}.${field.name}(${arg.name})`, arg);
      if (type.kind === 'INPUT_OBJECT') for (const field of type.inputFields) if (optional(field.type)) sites.set(`${type.name}.${field.name}`, field);
    }
    assert.deepEqual(
      [...sites.keys()].filter((site) => !(site in CASES)),
      [],
      'optional arguments and input fields without cases',
    );
    assert.deepEqual(
      Object.keys(CASES).filter((site) => !sites.has(site)),
      [],
      'cases for no optional argument or input field',
    );
    for (const [site, definition] of sites) {
      assert.equal(definition.defaultValue, CASES[site]!.whenNull ? null : 'null', `${site}: its default in the schema`);
    }
  });

  for (const [site, cases] of Object.entries(CASES)) {
    it(`${site}: omitted${site.includes('(') ? ', an unset variable' : ''} and null answer as the documented default${cases.whenNull ? ' (a patch: null as documented)' : ''}; a given value as documented`, async () => {
      const omitted = await cases.send(OMITTED);
      assert.deepEqual(omitted, await cases.whenOmitted(), 'omitted');
      if (site.includes('(')) assert.deepEqual(await cases.send(UNSET), omitted, 'an unset variable');
      assert.deepEqual(await cases.send(null), cases.whenNull ? await cases.whenNull() : omitted, 'null');
      const value = await cases.given();
      const given = await cases.send({ value });
      assert.deepEqual(given, await cases.whenGiven(value), `given ${JSON.stringify(value)}`);
      assert.notDeepEqual(given, omitted, 'the given value changes the answer, or this case proves nothing');
    });
  }
});

function optional(type: IntrospectionTypeRef): boolean {
  return type.kind !== 'NON_NULL';
}
