import assert from 'node:assert/strict';
import type { ModelRunRecord } from '../../src/modules/run/run.record';
import { runKey, type RunKey, type RunOrderField } from '../../src/modules/run/run.repository';
import type { KeysetPage } from '../../src/shared/keyset-page';

/** Every row of a keyset-paged read, `limit` a page: each page starts after the last row's key. */
export async function everyPage<T, Key>(limit: number, read: (page: KeysetPage<Key>) => Promise<readonly T[]>, keyOf: (row: T) => Key): Promise<T[]> {
  assert.ok(limit > 0, 'a page of 0 rows never ends');
  const rows: T[] = [];
  for (let after: Key | null = null; ;) {
    const page = await read({ limit, after });
    assert.ok(page.length <= limit + 1, `a page gives limit + 1 rows at most, got ${page.length}`);
    rows.push(...page.slice(0, limit));
    if (page.length <= limit) return rows;
    after = keyOf(page[limit - 1]!);
  }
}

/** Every row of a read paged by entity key (assignments, outcomes). */
export function everyEntityPage<T extends { readonly entityKey: string }>(
  limit: number,
  read: (page: KeysetPage<string>) => Promise<readonly T[]>,
): Promise<T[]> {
  return everyPage(limit, read, (row) => row.entityKey);
}

/** Every run of a runs list paged in an order on `field`. */
export function everyRunPage(
  limit: number,
  field: RunOrderField,
  read: (page: KeysetPage<RunKey>) => Promise<readonly ModelRunRecord[]>,
): Promise<ModelRunRecord[]> {
  return everyPage(limit, read, (run) => runKey(run, field));
}
