/** A page of rows as services return it; the GraphQL layer turns it into a connection. */
export interface PageOfRows<T> {
  readonly rows: readonly T[];
  /** More rows follow this page. */
  readonly hasMore: boolean;
}

/** The page in rows fetched one past `limit`: that extra row only says that more follow. */
export function pageOfRows<T>(fetched: readonly T[], limit: number): PageOfRows<T> {
  return { rows: fetched.slice(0, limit), hasMore: fetched.length > limit };
}
