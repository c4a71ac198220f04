import { registerEnumType, type MiddlewareFn } from 'type-graphql';
import { UNKNOWN } from '../shared/unknown-value';

export { UNKNOWN };

/** A value's GraphQL enum name: run-started → RUN_STARTED, viewer → VIEWER. */
export function enumValueName(value: string): string {
  return value.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
}

/**
 * Registers a GraphQL enum made from a list the code already uses (value → description), so a value
 * added to the list is in the API at once. The enum's internal values are the list's own: resolvers
 * and services keep speaking them. With `unknown`, the enum also has UNKNOWN (see knownOr).
 */
export function listEnum<V extends string>(
  name: string,
  description: string,
  values: Readonly<Record<V, string>>,
  unknown?: string,
): Readonly<Record<string, V | typeof UNKNOWN>> {
  const entries = Object.entries<string>(values).map(([value, valueDescription]) => ({ name: enumValueName(value), value, description: valueDescription }));
  if (unknown !== undefined) entries.push({ name: UNKNOWN, value: UNKNOWN, description: unknown });
  const names = entries.map((entry) => entry.name);
  const clash = names.find((entryName, index) => names.indexOf(entryName) !== index);
  if (clash) throw new Error(`Enum ${name}: two values are both named ${clash}`);
  const enumObject = Object.fromEntries(entries.map((entry) => [entry.name, entry.value])) as Record<string, V | typeof UNKNOWN>;
  registerEnumType(enumObject, {
    name,
    description,
    valuesConfig: Object.fromEntries(entries.map((entry) => [entry.name, { description: entry.description }])),
  });
  return enumObject;
}

/**
 * A field middleware: a value outside `values` (stored before the list changed) is served as
 * `fallback` rather than failing the whole query, as an enum's serializer would.
 */
export function knownOr(values: Readonly<Record<string, string>>, fallback: string | null): MiddlewareFn {
  return async (_, next) => {
    const value: unknown = await next();
    if (value === null || value === undefined) return value;
    return typeof value === 'string' && Object.prototype.hasOwnProperty.call(values, value) ? value : fallback;
  };
}
