import type { ModelRunRecord } from './run.record';

// The record's Date fields; JSON would turn them into strings that the GraphQL DateTime scalar then refuses.
const DATE_FIELDS = ['createdAt', 'startedAt', 'finishedAt', 'heartbeatAt', 'outcomesPublishedAt'] as const;

/**
 * A run update as it crosses Redis: JSON, with every Date written as its ISO text and read back as a
 * Date, and the numbers JSON cannot hold (NaN, ±Infinity, -0) kept as `{ "$number": "-Infinity" }`.
 */
export function encodeRunEvent(run: ModelRunRecord): string {
  const wire: Record<string, unknown> = { ...run, publishError: run.publishError && { ...run.publishError, at: run.publishError.at.toISOString() } };
  for (const field of DATE_FIELDS) wire[field] = run[field]?.toISOString() ?? null;
  return JSON.stringify(wire, (_key, value: unknown) =>
    typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0)) ? numberTag(value) : value,
  );
}

/** The inverse of `encodeRunEvent`; throws on text that is not a run update. */
export function decodeRunEvent(text: string): ModelRunRecord {
  const wire = JSON.parse(text, (_key, value: unknown) => (isNumberTag(value) ? Number(value.$number) : value)) as Record<string, unknown>;
  if (typeof wire.id !== 'string' || typeof wire.status !== 'string' || typeof wire.createdAt !== 'string') {
    throw new Error('not a run update: id, status and createdAt are required');
  }
  const publishError = wire.publishError as { code: string; message: string; at: string } | null;
  const run: Record<string, unknown> = { ...wire, publishError: publishError && { ...publishError, at: toDate(publishError.at) } };
  for (const field of DATE_FIELDS) run[field] = wire[field] === null ? null : toDate(wire[field]);
  return run as unknown as ModelRunRecord;
}

function numberTag(value: number): { $number: string } {
  return { $number: Object.is(value, -0) ? '-0' : String(value) };
}

function toDate(value: unknown): Date {
  const date = new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new Error(`not a run update: "${String(value)}" is not a date`);
  return date;
}

function isNumberTag(value: unknown): value is { $number: string } {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && typeof (value as { $number?: unknown }).$number === 'string';
}
