/**
 * Runs `body` at once and hands back its result as a promise; what it throws becomes the rejection, as
 * in an async function. For hooks whose signature wants a promise but whose work is synchronous.
 */
export function promiseOf<T>(body: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(body()));
}
