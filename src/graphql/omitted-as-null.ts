import { isInputObjectType, isInterfaceType, isNonNullType, isObjectType, type GraphQLArgument, type GraphQLInputField, type GraphQLSchema } from 'graphql';

/**
 * Extensions of an input type whose omitted fields mean "leave as it is" and whose null means "clear"
 * (a patch, such as UpdateDatasetInput): the one place where omitted and null differ on purpose.
 */
export const PATCH_INPUT = { omittedMeansUnchanged: true } as const;

/**
 * Gives every nullable argument and input field that has no default the default `null`, so graphql-js
 * itself hands an omitted one (left out, or an unset variable) to resolvers as null: no resolver or
 * service ever sees `undefined` beside `null`. Done on the built schema, once, so the SDL states it too
 * (`first: Int = null`). Input types marked PATCH_INPUT are left alone.
 */
export function defaultOmittedToNull(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) field.args.forEach(defaultToNull);
    } else if (isInputObjectType(type) && type.extensions.omittedMeansUnchanged !== true) {
      Object.values(type.getFields()).forEach(defaultToNull);
    }
  }
  return schema;
}

function defaultToNull(input: GraphQLArgument | GraphQLInputField): void {
  if (!isNonNullType(input.type) && input.defaultValue === undefined) input.defaultValue = null;
}
