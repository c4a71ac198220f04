import { truncate } from '../../http/graphql-body';
import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type ValueNode } from 'graphql';

/*
 * No string input may hold a NUL character (U+0000): PostgreSQL refuses one in text, and the other
 * drivers end the string there ("x\0A" and "x\0B" would be one idempotency key). Every argument is
 * checked before anything executes, over HTTP (plugins/nul-characters/) and graphql-ws alike.
 */

const MAX_FIELD_LENGTH = 200;

/** Throws BAD_USER_INPUT naming the first argument path (`input.keyColumns[1]`) whose string holds U+0000. */
export function assertNoNulCharacters(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): void {
  const found = firstNulCharacter(document, operation, variables ?? {});
  if (found === undefined) return;
  // A path is the client's own keys, as long and as deep as it sent them: cut short, as echoed input is.
  const field = truncate(found, MAX_FIELD_LENGTH);
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

/**
 * A variable's value as sent (JSON): strings, lists and input objects, depth first in order. With a
 * stack of its own, not recursion: a client's JSON may nest deeper than the call stack goes.
 */
function inJson(value: unknown, path: string): string | undefined {
  const pending: [unknown, string][] = [[value, path]];
  while (pending.length > 0) {
    const [item, at] = pending.pop()!;
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return at;
    } else if (Array.isArray(item)) {
      for (let index = item.length - 1; index >= 0; index--) pending.push([item[index], `${at}[${index}]`]);
    } else if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item);
      for (let index = entries.length - 1; index >= 0; index--) pending.push([entries[index]![1], `${at}.${entries[index]![0]}`]);
    }
  }
  return undefined;
}

function firstOf<T>(items: readonly T[], find: (item: T, index: number) => string | undefined): string | undefined {
  for (let index = 0; index < items.length; index++) {
    const found = find(items[index]!, index);
    if (found !== undefined) return found;
  }
  return undefined;
}
