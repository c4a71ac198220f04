/** A thrown or rejected value as an Error: an Error as it is, anything else as its text. */
export function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
