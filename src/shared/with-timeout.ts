/**
 * Settles with `promise`, or rejects with `onTimeout()`'s error once `ms` have passed. The promise
 * itself is not cancelled: whoever gives up on it decides what happens to the work still running.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
