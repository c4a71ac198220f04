import {
  getNamedType,
  isObjectType,
  isInterfaceType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * The shape of one operation, fragments followed each time they are spread: its `depth` (fields nested
 * inside one another), `aliases` and `directives`. `__Type.ofType` adds no depth: it only unwraps a
 * NON_NULL or LIST wrapper, and counting it would make Sandbox's introspection query 15 deep, not 6.
 * Each fragment is measured once, so fragments spread into each other cost linear time, not exponential.
 */
export interface OperationShape {
  readonly depth: number;
  readonly aliases: number;
  readonly directives: number;
}

/** What the rules need of graphql's ValidationContext (and what the tests give directly). */
export interface ShapeSource {
  getSchema(): GraphQLSchema;
  getFragment(name: string): FragmentDefinitionNode | null | undefined;
}

const ZERO: OperationShape = { depth: 0, aliases: 0, directives: 0 };

// One measure per operation node per validation: the three rules share it.
const cache = new WeakMap<OperationDefinitionNode, WeakMap<object, OperationShape>>();

export function operationShape(source: ShapeSource, operation: OperationDefinitionNode): OperationShape {
  let bySource = cache.get(operation);
  if (!bySource) cache.set(operation, (bySource = new WeakMap()));
  const cached = bySource.get(source);
  if (cached) return cached;
  const shape = measureOperation(source, operation);
  bySource.set(source, shape);
  return shape;
}

function measureOperation(source: ShapeSource, operation: OperationDefinitionNode): OperationShape {
  const schema = source.getSchema();
  const fragments = new Map<string, OperationShape>();
  const inProgress = new Set<string>();

  const selectionSet = (set: SelectionSetNode, parent: GraphQLNamedType | undefined): OperationShape => {
    let depth = 0;
    let aliases = 0;
    let directives = 0;
    for (const selection of set.selections) {
      directives += selection.directives?.length ?? 0;
      let inner: OperationShape;
      if (selection.kind === Kind.FIELD) {
        const def = fieldDefinition(schema, parent, selection);
        const child = def ? getNamedType(def.type) : undefined;
        inner = selection.selectionSet ? selectionSet(selection.selectionSet, child) : ZERO;
        const adds = parent?.name === '__Type' && selection.name.value === 'ofType' ? 0 : 1;
        depth = Math.max(depth, adds + inner.depth);
        aliases += (selection.alias ? 1 : 0) + inner.aliases;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        inner = selectionSet(selection.selectionSet, condition ?? undefined);
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
      } else {
        inner = fragment(selection.name.value);
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
      }
      directives += inner.directives;
    }
    return { depth, aliases, directives };
  };

  const fragment = (name: string): OperationShape => {
    const known = fragments.get(name);
    if (known) return known;
    const definition = source.getFragment(name);
    if (!definition || inProgress.has(name)) return ZERO;
    inProgress.add(name);
    const inner = selectionSet(definition.selectionSet, schema.getType(definition.typeCondition.name.value) ?? undefined);
    inProgress.delete(name);
    const shape = { ...inner, directives: inner.directives + (definition.directives?.length ?? 0) };
    fragments.set(name, shape);
    return shape;
  };

  const body = selectionSet(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined);
  const ownDirectives =
    (operation.directives?.length ?? 0) + (operation.variableDefinitions ?? []).reduce((sum, variable) => sum + (variable.directives?.length ?? 0), 0);
  return { ...body, directives: body.directives + ownDirectives };
}

/** The field's definition on its parent type, introspection meta fields included; undefined when unknown. */
export function fieldDefinition(schema: GraphQLSchema, parent: GraphQLNamedType | undefined, node: FieldNode): GraphQLField<unknown, unknown> | undefined {
  const name = node.name.value;
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (parent && parent === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  if (parent && (isObjectType(parent) || isInterfaceType(parent))) return parent.getFields()[name];
  return undefined;
}
