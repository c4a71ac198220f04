import { Field, Int, ObjectType, UseMiddleware, type ClassType, type MiddlewareFn } from 'type-graphql';
import type { Page } from '../datastore/dialects/dialect';
import { AppError } from '../errors/app-error';
import type { KeysetPage } from '../shared/keyset-page';
import type { PageOfRows } from '../shared/page-of-rows';
import { leadingCharacters } from '../shared/character-count';

/** The largest page any list field returns; `first` above it is refused, not silently cut. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 20;

@ObjectType({ description: 'Relay-style paging state.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'More items follow this page: ask again with after: endCursor.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'The page was asked for with a cursor (after), so items come before it.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'The cursor of the first item; null for an empty page.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the last item, for the next page’s after; null for an empty page.' })
  endCursor!: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  /** Called by graphql-js only when totalCount is selected, so the COUNT runs only then. */
  totalCount: () => Promise<number>;
}

// Cursors are opaque to clients; inside they are offsets into the ordered list.
const CURSOR_PREFIX = 'offset:';

export function encodeCursor(offset: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const digits = text.slice(CURSOR_PREFIX.length);
  // Digits only, as encodeCursor writes them: Number() alone would read '' as 0 and take ' 7', '1e2', '0x10'.
  const offset = /^\d+$/.test(digits) ? Number(digits) : Number.NaN;
  if (!text.startsWith(CURSOR_PREFIX) || !Number.isSafeInteger(offset) || offset < 0) {
    throw new AppError('BAD_USER_INPUT', `"${leadingCharacters(cursor, 60)}" is not a cursor this server gave out`, { field: 'after' });
  }
  return offset;
}

function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new AppError('BAD_USER_INPUT', `first must be an integer from 0 to ${MAX_PAGE_SIZE}, got ${size}`, { field: 'first' });
  }
  return size;
}

/** The page `first`/`after` ask for. One more row than the page is fetched, to know if another follows. */
export function pageFrom(first: number | null | undefined, after: string | null | undefined): Page {
  return { limit: pageSize(first), offset: after ? decodeCursor(after) + 1 : 0 };
}

/** The connection of a page a service returned for `page`. */
export function connectionFrom<T>(result: PageOfRows<T>, page: Page, count: () => Promise<number> = noCount): Connection<T> {
  const edges = result.rows.map((node, index) => ({ cursor: encodeCursor(page.offset + index), node }));
  return connectionOf(edges, result.hasMore, page.offset > 0, count);
}

/** What an offset-paged connection field resolves to: the page `first`/`after` ask for, read by `read`; `count` the rows of every page. */
export async function pagedConnection<T>(
  first: number | null | undefined,
  after: string | null | undefined,
  read: (page: Page) => Promise<PageOfRows<T>>,
  count: () => Promise<number>,
): Promise<Connection<T>> {
  const page = pageFrom(first, after);
  return connectionFrom(await read(page), page, count);
}

/**
 * How a keyset connection writes its cursors: `scope` names the list and its order, so a cursor of
 * another list or order is refused rather than misread; `keyOf` is a row's sort key and id; `parse`
 * checks a decoded key and returns it, or null when it is not one of this list's.
 */
export interface KeysetCursors<T, Key> {
  readonly scope: string;
  readonly keyOf: (row: T) => Key;
  readonly toJson: (key: Key) => unknown;
  readonly parse: (json: unknown) => Key | null;
}

const KEYSET_PREFIX = 'keyset:';

function encodeKeysetCursor<Key>(cursors: KeysetCursors<unknown, Key>, key: Key): string {
  return Buffer.from(`${KEYSET_PREFIX}${JSON.stringify([cursors.scope, cursors.toJson(key)])}`).toString('base64url');
}

function decodeKeysetCursor<Key>(cursors: KeysetCursors<unknown, Key>, cursor: string): Key {
  const text = Buffer.from(cursor, 'base64url').toString();
  let key: Key | null = null;
  if (text.startsWith(KEYSET_PREFIX)) {
    try {
      const decoded: unknown = JSON.parse(text.slice(KEYSET_PREFIX.length));
      if (Array.isArray(decoded) && decoded.length === 2 && decoded[0] === cursors.scope) key = cursors.parse(decoded[1]);
    } catch {
      key = null;
    }
  }
  if (key === null) {
    throw new AppError('BAD_USER_INPUT', `"${leadingCharacters(cursor, 60)}" is not a cursor this server gave out for this list and order`, { field: 'after' });
  }
  return key;
}

/** What a keyset-paged connection field resolves to: the rows after the `after` cursor's key, read by `read`. */
export async function keysetConnection<T, Key>(
  first: number | null | undefined,
  after: string | null | undefined,
  cursors: KeysetCursors<T, Key>,
  read: (page: KeysetPage<Key>) => Promise<PageOfRows<T>>,
  count: () => Promise<number>,
): Promise<Connection<T>> {
  const page: KeysetPage<Key> = { limit: pageSize(first), after: after ? decodeKeysetCursor(cursors as KeysetCursors<unknown, Key>, after) : null };
  const result = await read(page);
  // A cursor is written only when asked for: a listing that selects none encodes none.
  const edges = result.rows.map((node) => ({
    node,
    get cursor() {
      return encodeKeysetCursor(cursors as KeysetCursors<unknown, Key>, cursors.keyOf(node));
    },
  }));
  return connectionOf(edges, result.hasMore, page.after !== null, count);
}

function connectionOf<T>(edges: Connection<T>['edges'], hasNextPage: boolean, hasPreviousPage: boolean, count: () => Promise<number>): Connection<T> {
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
    totalCount: count,
  };
}

// A connection holds its count as a function: only a selected totalCount calls it.
const countWhenAsked: MiddlewareFn = async (_, next) => {
  const count: unknown = await next();
  return typeof count === 'function' ? (count as () => Promise<number>)() : count;
};

const noCount = (): Promise<number> => Promise.reject(new Error('this connection was built without a count'));

/** A `<Name>Connection` type with `edges { cursor node }` and `pageInfo` for a node type. */
export function ConnectionType<T extends object>(name: string, node: ClassType<T> | object, description: string) {
  @ObjectType(`${name}Edge`, { description: `One item of a ${name}Connection and its cursor.` })
  class Edge {
    @Field(() => String, { description: 'Opaque: pass it as after to get the items that follow this one.' })
    cursor!: string;

    @Field(() => node, { description: 'The item.' })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description })
  class ConnectionClass {
    @Field(() => [Edge], { description: 'The items of this page, in the list’s order.' })
    edges!: Edge[];

    @Field(() => PageInfo, { description: 'Where this page is in the list.' })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Items in the whole list under the same arguments (every page), counted when this field is asked for.' })
    @UseMiddleware(countWhenAsked)
    totalCount!: number;
  }
  return ConnectionClass;
}

/** Cursors of a list in the order of a text key that is never NULL and unique in the list (an entity key). */
export function textKeyCursors<T>(scope: string, keyOf: (row: T) => string): KeysetCursors<T, string> {
  return { scope, keyOf, toJson: (key) => key, parse: (json) => (typeof json === 'string' ? json : null) };
}
