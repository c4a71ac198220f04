import { ecsComponent, modelComponent } from '../../../src/telemetry/templates';

/** One node of an index mapping: a field with a type, or an object with properties. */
export interface MappingNode {
  readonly type?: string;
  readonly dynamic?: boolean | string;
  readonly properties?: Record<string, MappingNode>;
}

const root: MappingNode = {
  properties: {
    ...(ecsComponent.template.mappings.properties as Record<string, MappingNode>),
    ...(modelComponent.template.mappings.properties as Record<string, MappingNode>),
  },
};

const dynamicTemplates = ecsComponent.template.mappings.dynamic_templates.map((entry) => {
  const [template] = Object.values(entry);
  const pattern = new RegExp(
    `^${template!.path_match
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return { pattern, mapping: template!.mapping };
});

/**
 * The mapping of a dotted field path in the two component templates (the trace and runs index
 * templates are composed of exactly these), or undefined when nothing maps it. A field under an
 * object that is `dynamic: false` is only mapped when named explicitly; elsewhere the dynamic
 * templates (labels.*) apply.
 */
export function mappingOf(path: string): MappingNode | undefined {
  let node: MappingNode | undefined = root;
  let dynamicAllowed = true;
  for (const part of path.split('.')) {
    if (node?.dynamic === false) dynamicAllowed = false;
    node = node?.properties?.[part];
    if (!node) break;
  }
  if (node) return node;
  if (!dynamicAllowed) return undefined;
  return dynamicTemplates.find((template) => template.pattern.test(path))?.mapping;
}

export const NUMERIC_TYPES = new Set(['long', 'integer', 'short', 'byte', 'double', 'float', 'half_float', 'scaled_float', 'unsigned_long']);
export const WHOLE_NUMBER_TYPES = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
/** Types Kibana can aggregate on (doc values): text and match_only_text are not among them. */
export const AGGREGATABLE_TYPES = new Set(['keyword', 'date', 'boolean', ...NUMERIC_TYPES]);

/** Every leaf of a JSON value with its dotted path; array elements share the path of the array. */
export function leaves(value: unknown, path = ''): { path: string; value: unknown }[] {
  if (Array.isArray(value)) return value.length === 0 ? [{ path, value: undefined }] : value.flatMap((element) => leaves(element, path));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => leaves(inner, path ? `${path}.${key}` : key));
  }
  return [{ path, value }];
}
