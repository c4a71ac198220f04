import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/errors/app-error';
import type { Page } from '../../../src/datastore/dialects/dialect';
import {
  connectionFrom as connectionOfPage,
  DEFAULT_PAGE_SIZE,
  encodeCursor,
  keysetConnection,
  MAX_PAGE_SIZE,
  pageFrom,
  textKeyCursors,
} from '../../../src/graphql/connection';
import { runCursors } from '../../../src/modules/run/run.type';
import type { KeysetPage } from '../../../src/shared/keyset-page';
import { pageOfRows } from '../../../src/shared/page-of-rows';

// Run, assignment and outcome lists (and dataset previews) page through these helpers.

/** The connection of rows fetched as repositories fetch them: one past the page. */
function connectionFrom<T>(fetched: readonly T[], page: Page) {
  return connectionOfPage(pageOfRows(fetched, page.limit), page);
}

function refusedFor(field: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, 'BAD_USER_INPUT');
    assert.equal(error.details?.field, field);
    return true;
  };
}

describe('pageFrom', () => {
  it('no first and no after gives the default page of 20 from offset 0', () => {
    assert.equal(DEFAULT_PAGE_SIZE, 20);
    assert.deepEqual(pageFrom(undefined, undefined), { limit: 20, offset: 0 });
    assert.deepEqual(pageFrom(null, null), { limit: 20, offset: 0 });
  });

  it('first 0 is accepted as an empty page', () => {
    assert.deepEqual(pageFrom(0, null), { limit: 0, offset: 0 });
  });

  it(`first ${MAX_PAGE_SIZE} is accepted`, () => {
    assert.equal(MAX_PAGE_SIZE, 500);
    assert.deepEqual(pageFrom(500, null), { limit: 500, offset: 0 });
  });

  for (const first of [501, -1, 1.5, Number.NaN]) {
    it(`first ${first} is refused with BAD_USER_INPUT on field first`, () => {
      assert.throws(() => pageFrom(first, null), refusedFor('first'));
    });
  }

  it('an after cursor from encodeCursor(n) starts the page at offset n + 1', () => {
    assert.deepEqual(pageFrom(10, encodeCursor(0)), { limit: 10, offset: 1 });
    assert.deepEqual(pageFrom(10, encodeCursor(41)), { limit: 10, offset: 42 });
  });

  it('an empty after string is treated as no cursor', () => {
    assert.deepEqual(pageFrom(5, ''), { limit: 5, offset: 0 });
  });

  const garbage: [string, string][] = [
    ['plain text', 'not-a-cursor'],
    ['another prefix', Buffer.from('page:3').toString('base64url')],
    ['a negative offset', Buffer.from('offset:-1').toString('base64url')],
    ['a fractional offset', Buffer.from('offset:1.5').toString('base64url')],
    ['a non-numeric offset', Buffer.from('offset:abc').toString('base64url')],
    ['an offset past the safe integers', Buffer.from('offset:9007199254740993').toString('base64url')],
    ['no offset after the prefix', Buffer.from('offset:').toString('base64url')],
    ['an offset in exponent notation', Buffer.from('offset:1e2').toString('base64url')],
    ['a hexadecimal offset', Buffer.from('offset:0x10').toString('base64url')],
    ['spaces around the offset', Buffer.from('offset: 7 ').toString('base64url')],
  ];
  for (const [scenario, cursor] of garbage) {
    it(`a cursor with ${scenario} is refused with BAD_USER_INPUT on field after`, () => {
      assert.throws(() => pageFrom(10, cursor), refusedFor('after'));
    });
  }
});

describe('connectionFrom', () => {
  it('limit + 1 rows: the extra row is dropped, hasNextPage is true and cursors are the rows offsets', () => {
    const page = { limit: 3, offset: 0 };
    const connection = connectionFrom(['a', 'b', 'c', 'd'], page);
    assert.deepEqual(
      connection.edges.map((edge) => edge.node),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      connection.edges.map((edge) => edge.cursor),
      [encodeCursor(0), encodeCursor(1), encodeCursor(2)],
    );
    assert.deepEqual(connection.pageInfo, {
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: encodeCursor(0),
      endCursor: encodeCursor(2),
    });
  });

  it('a later page that is the last: cursors continue from the offset, hasPreviousPage true, hasNextPage false', () => {
    const page = pageFrom(3, encodeCursor(2));
    const connection = connectionFrom(['d', 'e'], page);
    assert.deepEqual(
      connection.edges.map((edge) => edge.cursor),
      [encodeCursor(3), encodeCursor(4)],
    );
    assert.deepEqual(connection.pageInfo, {
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: encodeCursor(3),
      endCursor: encodeCursor(4),
    });
  });

  it("the end cursor of one page asks for the next page's first row", () => {
    const first = connectionFrom(['a', 'b', 'c'], { limit: 2, offset: 0 });
    const next = pageFrom(2, first.pageInfo.endCursor);
    assert.deepEqual(next, { limit: 2, offset: 2 });
  });

  it('exactly limit rows: hasNextPage is false', () => {
    assert.equal(connectionFrom([1, 2], { limit: 2, offset: 0 }).pageInfo.hasNextPage, false);
  });

  it('no rows: no edges, null start and end cursors', () => {
    const { edges, pageInfo } = connectionFrom([], { limit: 20, offset: 40 });
    assert.deepEqual(
      { edges, pageInfo },
      {
        edges: [],
        pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
      },
    );
  });

  it('first 0 with a row behind it: no edges but hasNextPage true', () => {
    const connection = connectionFrom(['a'], { limit: 0, offset: 0 });
    assert.deepEqual(connection.edges, []);
    assert.equal(connection.pageInfo.hasNextPage, true);
  });
});

describe('keysetConnection', () => {
  const cursors = textKeyCursors<string>('letters', (letter) => letter);
  const letters = ['a', 'b', 'c', 'd', 'e'];
  // What a repository does: the rows after the key, limit + 1 of them.
  const read = (page: KeysetPage<string>) =>
    Promise.resolve(
      pageOfRows(
        letters.filter((letter) => page.after === null || letter > page.after),
        page.limit,
      ),
    );
  const noCount = () => Promise.resolve(letters.length);

  it('the next page starts after the key in the end cursor, whatever came before it', async () => {
    const first = await keysetConnection(2, null, cursors, read, noCount);
    assert.deepEqual(
      first.edges.map((edge) => edge.node),
      ['a', 'b'],
    );
    const seen: (string | null)[] = [];
    const next = await keysetConnection(2, first.pageInfo.endCursor, cursors, (page) => (seen.push(page.after), read(page)), noCount);
    assert.deepEqual(seen, ['b']);
    assert.deepEqual(
      next.edges.map((edge) => edge.node),
      ['c', 'd'],
    );
    assert.deepEqual([next.pageInfo.hasPreviousPage, next.pageInfo.hasNextPage], [true, true]);
    assert.equal(await next.totalCount(), 5);
  });

  it('a cursor of another list, an offset cursor, or garbage is BAD_USER_INPUT on after', async () => {
    const other = (
      await keysetConnection(
        1,
        null,
        textKeyCursors<string>('other', (letter) => letter),
        read,
        noCount,
      )
    ).pageInfo.endCursor!;
    for (const cursor of [
      other,
      encodeCursor(3),
      'not a cursor',
      Buffer.from('keyset:["letters"').toString('base64url'),
      Buffer.from('keyset:["letters",7]').toString('base64url'),
    ]) {
      await assert.rejects(keysetConnection(2, cursor, cursors, read, noCount), refusedFor('after'), cursor);
    }
  });

  it('a runs cursor holds its order: one of CREATED_AT DESC is refused for FINISHED_AT ASC; a NULL key only where the column can be NULL', () => {
    const newest = runCursors({ field: 'CREATED_AT', direction: 'DESC' });
    const finished = runCursors({ field: 'FINISHED_AT', direction: 'ASC' });
    assert.notEqual(newest.scope, finished.scope);
    assert.deepEqual(newest.parse(['2026-01-02T03:04:05.006Z', 'run-1']), { at: new Date('2026-01-02T03:04:05.006Z'), id: 'run-1' });
    assert.equal(newest.parse([null, 'run-1']), null, 'created_at is never NULL');
    assert.deepEqual(finished.parse([null, 'run-1']), { at: null, id: 'run-1' });
    assert.equal(newest.parse(['2026-13-45', 'run-1']), null);
    assert.equal(newest.parse(['2026-01-02T03:04:05.006Z', 7]), null);
  });
});
