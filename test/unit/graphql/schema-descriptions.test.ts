import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isSpecifiedScalarType, type GraphQLNamedType } from 'graphql';
import { printAppSchema } from '../../../src/graphql/schema';

/** Every element of the emitted schema a frontend developer reads in an IDE, each named as a path. */
function undescribed(type: GraphQLNamedType): string[] {
  const missing: string[] = [];
  const check = (path: string, description: string | null | undefined) => {
    if (!description?.trim()) missing.push(path);
  };
  check(type.name, type.description);
  if (isObjectType(type) || isInterfaceType(type)) {
    for (const field of Object.values(type.getFields())) {
      check(`${type.name}.${field.name}`, field.description);
      for (const argument of field.args) check(`${type.name}.${field.name}(${argument.name}:)`, argument.description);
    }
  } else if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
  } else if (isEnumType(type)) {
    for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
  }
  return missing;
}

describe('schema descriptions', () => {
  it('every type, field, argument, enum value and input field of the emitted schema has a description', async () => {
    const schema = buildSchema(await printAppSchema());
    const types = Object.values(schema.getTypeMap()).filter((type) => !type.name.startsWith('__') && !isSpecifiedScalarType(type));
    const missing = types.flatMap(undescribed);
    assert.deepEqual(missing, [], `${missing.length} schema elements have no description:\n${missing.join('\n')}`);
  });
});
