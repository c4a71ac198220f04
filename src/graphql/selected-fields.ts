import { Kind, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/** What selectedFieldNames needs of a resolver's info. */
export interface SelectionSource {
  readonly fieldNodes: readonly FieldNode[];
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>;
}

/**
 * The names (not aliases) of the fields selected at `path` below the field being resolved, e.g.
 * ['edges', 'node'] of a connection, through fragments and inline fragments. @skip and @include are not
 * evaluated: a skipped field counts as selected, which can only read more than needed.
 */
export function selectedFieldNames(info: SelectionSource, path: readonly string[]): Set<string> {
  let sets = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const step of path) {
    sets = sets.flatMap((set) =>
      fieldsOf(set, info.fragments).flatMap((field) => (field.name.value === step && field.selectionSet ? [field.selectionSet] : [])),
    );
  }
  return new Set(sets.flatMap((set) => fieldsOf(set, info.fragments).map((field) => field.name.value)));
}

function fieldsOf(set: SelectionSetNode, fragments: SelectionSource['fragments'], seen = new Set<string>()): FieldNode[] {
  return set.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsOf(selection.selectionSet, fragments, seen);
    // Validation refuses fragment cycles; `seen` only keeps a malformed document from looping here.
    const fragment = fragments[selection.name.value];
    if (!fragment || seen.has(fragment.name.value)) return [];
    seen.add(fragment.name.value);
    return fieldsOf(fragment.selectionSet, fragments, seen);
  });
}
