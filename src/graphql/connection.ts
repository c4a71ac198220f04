import { Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { Page } from '../datastore/dialects/dialect';
import { AppError } from '../errors/app-error';
import type { PageOfRows } from '../shared/page-of-rows';

/** The largest page any list field returns; `first` above it is refused, not silently cut. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 20;

@ObjectType({ description: 'Relay-style paging state.' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean)
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
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
    throw new AppError('BAD_USER_INPUT', `"${cursor.slice(0, 60)}" is not a cursor this server gave out`, { field: 'after' });
  }
  return offset;
}

/** The page `first`/`after` ask for. One more row than the page is fetched, to know if another follows. */
export function pageFrom(first: number | null | undefined, after: string | null | undefined): Page {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new AppError('BAD_USER_INPUT', `first must be an integer from 0 to ${MAX_PAGE_SIZE}, got ${size}`, { field: 'first' });
  }
  return { limit: size, offset: after ? decodeCursor(after) + 1 : 0 };
}

/** The connection of a page a service returned for `page`. */
export function connectionFrom<T>(result: PageOfRows<T>, page: Page): Connection<T> {
  const edges = result.rows.map((node, index) => ({ cursor: encodeCursor(page.offset + index), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: result.hasMore,
      hasPreviousPage: page.offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** What a connection field resolves to: the page `first`/`after` ask for, read by `read`. */
export async function pagedConnection<T>(
  first: number | null | undefined,
  after: string | null | undefined,
  read: (page: Page) => Promise<PageOfRows<T>>,
): Promise<Connection<T>> {
  const page = pageFrom(first, after);
  return connectionFrom(await read(page), page);
}

/** A `<Name>Connection` type with `edges { cursor node }` and `pageInfo` for a node type. */
export function ConnectionType<T extends object>(name: string, node: ClassType<T> | object, description: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description })
  class ConnectionClass {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { nullable: true, description: 'Total number of items, where counting them is cheap; null otherwise.' })
    totalCount?: number | null;
  }
  return ConnectionClass;
}
