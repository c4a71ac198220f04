import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type ValueNode } from 'graphql';

/*
 * No string input may hold a NUL character (U+0000): PostgreSQL refuses one in text, and the other
 * drivers end the string there ("x\0A" and "x\0B" would be one idempotency key). Every argument is
 * checked before anything executes, over HTTP (plugins/nul-characters/) and graphql-ws alike.
 */

/** Throws BAD_USER_INPUT naming the first argument path (`input.keyColumns[1]`) whose string holds U+0000. */
export function assertNoNulCharacters(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): void {
  const field = firstNulCharacter(document, operation, variables ?? {});
  if (field === undefined) return;
  throw new GraphQLError(`${field} contains a NUL character (U+0000), which the databases cannot store; nothing was executed.`, {
    extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } },
  });
}

function firstNulCharacter(document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): string | undefined {
  const fragments = new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const defaults = new Map((operation.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, definition.defaultValue]));
  const inValue = (node: ValueNode, path: string): string | undefined => {
    switch (node.kind) {
      case Kind.STRING:
        return node.value.includes('\u0000') ? path : undefined;
      case Kind.LIST:
        return firstOf(node.values, (item, index) => inValue(item, `${path}[${index}]`));
      case Kind.OBJECT:
        return firstOf(node.fields, (field) => inValue(field.value, `${path}.${field.name.value}`));
      case Kind.VARIABLE: {
        const name = node.name.value;
        if (Object.prototype.hasOwnProperty.call(variables, name)) return inJson(variables[name], path);
        const fallback = defaults.get(name);
        return fallback ? inValue(fallback, path) : undefined;
      }
      default:
        return undefined;
    }
  };

  // The operation, then each fragment it spreads (once), as they are reached.
  const pending: ASTNode[] = [operation];
  const spread = new Set<string>();
  while (pending.length > 0) {
    let found: string | undefined;
    visit(pending.pop()!, {
      VariableDefinition: () => false, // defaults count where the variable is used, under that argument's name
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment && !spread.has(node.name.value)) {
          spread.add(node.name.value);
          pending.push(fragment);
        }
      },
      Argument(node) {
        found ??= inValue(node.value, node.name.value);
        return false;
      },
    });
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A variable's value as sent (JSON): strings, lists and input objects. */
function inJson(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (Array.isArray(value)) return firstOf(value, (item, index) => inJson(item, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') return firstOf(Object.entries(value), ([key, inner]) => inJson(inner, `${path}.${key}`));
  return undefined;
}

function firstOf<T>(items: readonly T[], find: (item: T, index: number) => string | undefined): string | undefined {
  for (let index = 0; index < items.length; index++) {
    const found = find(items[index]!, index);
    if (found !== undefined) return found;
  }
  return undefined;
}
