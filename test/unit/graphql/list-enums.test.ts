import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnumType, type GraphQLSchema } from 'graphql';
import { ROLE_DESCRIPTIONS, ROLES } from '../../../src/auth/roles';
import { ERROR_CATALOGUE } from '../../../src/errors/catalogue';
import { buildAppSchema } from '../../../src/graphql/schema';
import { K_SELECTION_RULES } from '../../../src/modules/modeling/model';
import { TRACE_ACTIONS, TRACE_OUTCOMES } from '../../../src/telemetry/trace-actions';

/** Each enum's values as [GraphQL name, internal value, description]. */
function valuesOf(schema: GraphQLSchema, name: string): [string, unknown, string | null | undefined][] {
  const type = schema.getType(name);
  assert.ok(isEnumType(type), `${name} is an enum`);
  return type.getValues().map((value) => [value.name, value.value, value.description]);
}

const upper = (value: string) => value.replace(/-/g, '_').toUpperCase();
const UNKNOWN: [string, unknown, string | null | undefined] = ['UNKNOWN', 'UNKNOWN', undefined];
const withoutDescription = (values: [string, unknown, string | null | undefined][]) => values.map(([name, value]) => [name, value]);

describe('the enums made from the lists the code uses', () => {
  it('Role is the roles list (src/auth/roles.ts) with its descriptions, and UNKNOWN', async () => {
    const schema = await buildAppSchema();
    assert.deepEqual(
      withoutDescription(valuesOf(schema, 'Role')),
      withoutDescription([...ROLES.map((role): [string, unknown, string] => [upper(role), role, ROLE_DESCRIPTIONS[role]]), UNKNOWN]),
    );
    assert.deepEqual(
      valuesOf(schema, 'Role')
        .slice(0, ROLES.length)
        .map(([, , description]) => description),
      ROLES.map((role) => ROLE_DESCRIPTIONS[role]),
    );
  });

  it('ErrorCode is every code of the error catalogue, described by the catalogue’s message', async () => {
    assert.deepEqual(
      valuesOf(await buildAppSchema(), 'ErrorCode'),
      Object.entries(ERROR_CATALOGUE).map(([code, message]) => [code, code, message]),
    );
  });

  it('KSelectionRule is the rules list of k-selection.ts, and UNKNOWN', async () => {
    assert.deepEqual(
      withoutDescription(valuesOf(await buildAppSchema(), 'KSelectionRule')),
      withoutDescription([...Object.entries(K_SELECTION_RULES).map(([rule, text]): [string, unknown, string] => [rule, rule, text]), UNKNOWN]),
    );
  });

  it('TraceAction is the trace-actions list (src/telemetry/trace-actions.ts), event.action upper-cased, and UNKNOWN; TraceOutcome is ECS’s outcomes', async () => {
    const schema = await buildAppSchema();
    assert.deepEqual(
      valuesOf(schema, 'TraceAction').slice(0, -1),
      Object.entries(TRACE_ACTIONS).map(([action, text]) => [upper(action), action, text]),
    );
    assert.deepEqual(valuesOf(schema, 'TraceAction').at(-1)?.slice(0, 2), ['UNKNOWN', 'UNKNOWN']);
    assert.deepEqual(
      valuesOf(schema, 'TraceOutcome'),
      Object.entries(TRACE_OUTCOMES).map(([outcome, text]) => [upper(outcome), outcome, text]),
    );
  });
});
