import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './connection';

/** The options of every connection's `first` and `after` arguments, so each says the same. */
export const FIRST = { nullable: true, description: `How many items, 0 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} when null.` } as const;
export const AFTER = { nullable: true, description: 'The endCursor of the page before; the first page when null or empty.' } as const;
