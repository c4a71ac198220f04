import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildSchema, Kind, parse, type FieldNode, type FragmentDefinitionNode, type GraphQLObjectType, type OperationDefinitionNode } from 'graphql';
import { selectedFieldNames } from '../../../../src/graphql/selected-fields';
import { columnsOfFields, RECORD_FIELDS, type RunRecordField } from '../../../../src/modules/run/run.repository';
import { MODEL_RUN_FIELD_READS, runFieldsFor } from '../../../../src/modules/run/run.selection';

const ROOT = path.resolve(__dirname, '../../../../..');
const SCHEMA = buildSchema(readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8'));
const NEWEST_FIRST = { field: 'CREATED_AT', direction: 'DESC' } as const;

/** The resolver info of the document's first root field, as graphql-js hands it over. */
function infoOf(query: string) {
  const document = parse(query);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments };
}

describe('the ModelRun field → run record field → column mapping of run listings', () => {
  it('lists every field of ModelRun in the schema, and nothing else but __typename', () => {
    const fields = Object.keys((SCHEMA.getType('ModelRun') as GraphQLObjectType).getFields()).sort();
    assert.deepEqual(Object.keys(MODEL_RUN_FIELD_READS).sort(), ['__typename', ...fields].sort());
  });

  it('runFieldsFor: the id and the order’s column always, plus what each selected field reads', () => {
    assert.deepEqual([...runFieldsFor([], NEWEST_FIRST)!].sort(), ['createdAt', 'id']);
    assert.deepEqual([...runFieldsFor(['status', '__typename'], { field: 'FINISHED_AT', direction: 'ASC' })!].sort(), ['finishedAt', 'id', 'status']);
    assert.deepEqual([...runFieldsFor(['durationMs', 'dataset', 'iterations', 'reportUrl'], NEWEST_FIRST)!].sort(), [
      'createdAt',
      'datasetId',
      'finishedAt',
      'id',
      'startedAt',
    ]);
  });

  it('runFieldsFor: a field it does not know, or a name of Object.prototype, means the whole record (undefined)', () => {
    assert.equal(runFieldsFor(['id', 'somethingNew'], NEWEST_FIRST), undefined);
    assert.equal(runFieldsFor(['constructor'], NEWEST_FIRST), undefined);
    assert.equal(runFieldsFor(['toString'], NEWEST_FIRST), undefined);
  });

  it('columnsOfFields: the id and the columns of the fields, in table order, never the per-iteration history', () => {
    assert.deepEqual(columnsOfFields([]), ['id']);
    assert.deepEqual(columnsOfFields(['metrics', 'status']), ['id', 'status', 'metrics']);
    assert.deepEqual(columnsOfFields(['progress']), [
      'id',
      'status',
      'params',
      'progress_iteration',
      'progress_max',
      'progress_shift',
      'progress_fraction',
      'progress_rows',
      'progress_rows_per_s',
    ]);
    assert.deepEqual(columnsOfFields(['publishError', 'error']), [
      'id',
      'error_code',
      'error_message',
      'publish_error_code',
      'publish_error_message',
      'publish_error_at',
    ]);
    const every = columnsOfFields(Object.keys(RECORD_FIELDS) as RunRecordField[]);
    assert.equal(every.includes('iterations'), false);
    assert.equal(every.length, 28, 'every other column of ai_model_run');
  });
});

describe('selectedFieldNames', () => {
  it('names the fields under a path, through aliases, fragments and inline fragments, not the aliases', () => {
    const info = infoOf(`
      query {
        modelRuns(first: 3) {
          totalCount
          edges { cursor node { ident: id ...Parts ... on ModelRun { dataset { name } } } }
          more: edges { node { status } }
        }
      }
      fragment Parts on ModelRun { metrics { inertia } ...Deeper }
      fragment Deeper on ModelRun { progress { fraction } }
    `);
    assert.deepEqual([...selectedFieldNames(info, ['edges', 'node'])].sort(), ['dataset', 'id', 'metrics', 'progress', 'status']);
    assert.deepEqual([...selectedFieldNames(info, ['edges'])].sort(), ['cursor', 'node']);
    assert.deepEqual([...selectedFieldNames(info, [])].sort(), ['edges', 'totalCount']);
  });

  it('is empty when the path is not selected, and counts a field under @skip as selected', () => {
    assert.deepEqual([...selectedFieldNames(infoOf('{ modelRuns { totalCount } }'), ['edges', 'node'])], []);
    const skipped = infoOf('query ($no: Boolean!) { modelRuns { edges { node { id metrics @skip(if: $no) { inertia } } } } }');
    assert.deepEqual([...selectedFieldNames(skipped, ['edges', 'node'])].sort(), ['id', 'metrics']);
  });
});
