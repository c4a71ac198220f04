import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EXCLUDED, EXPECTED_VARIANTS } from './expectations';
import type { InventoryEvent } from './ledger';
import type { StatementSource } from './sources';

export interface InventoryRules {
  readonly excluded: Readonly<Record<string, string>>;
  readonly expectedVariants: Readonly<Record<string, readonly string[]>>;
}

export interface InventoryReport {
  /** Units that ran on H2. */
  readonly covered: readonly string[];
  readonly excluded: readonly { readonly unit: string; readonly reason: string }[];
  /** Units that must run on H2 and did not. */
  readonly missing: readonly string[];
  /** Rules that no longer match the code, or an exclusion that hides a statement. */
  readonly problems: readonly string[];
}

/**
 * TESTS ONLY: the inventory against what the suite recorded. Every source is a unit, and so is each of
 * its variants that is expected or was produced anywhere; each unit ran on H2 or is excluded.
 */
export function inventoryReport(
  sources: readonly StatementSource[],
  events: readonly InventoryEvent[],
  rules: InventoryRules = { excluded: EXCLUDED, expectedVariants: EXPECTED_VARIANTS },
): InventoryReport {
  const seen = (kind: InventoryEvent['event']) => new Set(events.filter((event) => event.event === kind).map((event) => event.unit));
  const executed = seen('executed');
  const produced = seen('produced');
  const units = new Set<string>();
  for (const source of sources) {
    units.add(source.key);
    // A dialect method's variants by its class's key first (TiberoDialect.paginate), else by the method's name.
    const expected = rules.expectedVariants[source.key] ?? (source.family === 'dialect' ? rules.expectedVariants[source.method] : undefined) ?? [];
    expected.forEach((variant) => units.add(`${source.key}#${variant}`));
    for (const unit of produced) if (unit.startsWith(`${source.key}#`)) units.add(unit);
  }
  const excludedUnit = (unit: string) => rules.excluded[unit] ?? rules.excluded[unit.split('#')[0]!];
  const ordered = [...units].sort();
  const names = new Set(sources.flatMap((source) => [source.key, source.method]));
  return {
    covered: ordered.filter((unit) => executed.has(unit) && excludedUnit(unit) === undefined),
    excluded: ordered.flatMap((unit) => {
      const reason = excludedUnit(unit);
      return reason === undefined ? [] : [{ unit, reason }];
    }),
    missing: ordered.filter((unit) => !executed.has(unit) && excludedUnit(unit) === undefined),
    problems: [
      ...sources.filter((source) => source.accessor).map((source) => `${source.key} is an accessor: the inventory reads methods only; make it a method`),
      ...Object.keys(rules.excluded)
        .filter((unit) => !units.has(unit))
        .map((unit) => `EXCLUDED names ${unit}, which the inventory does not hold (renamed or gone?): remove it`),
      ...Object.keys(rules.expectedVariants)
        .filter((name) => !names.has(name))
        .map((name) => `EXPECTED_VARIANTS names ${name}, which no source is (renamed or gone?): rename or remove it`),
      ...[...seen('statement-from-excluded')].map(
        (unit) => `${unit} is in EXCLUDED as writing no SQL, yet it returned a statement: remove it from EXCLUDED and run that statement on H2`,
      ),
    ],
  };
}

/** Every event the processes of a run appended to `dir` (one JSON object a line). */
export function readInventoryEvents(dir: string): InventoryEvent[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) =>
      readFileSync(path.join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as InventoryEvent),
    );
}
