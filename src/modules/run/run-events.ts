import { createPubSub } from '@graphql-yoga/subscription';
import type { ModelRunRecord } from './run.record';

/** The subscription topic: every status or progress change of a run in this process. */
export const MODEL_RUN_UPDATED = 'MODEL_RUN_UPDATED';

export type RunPubSub = ReturnType<typeof createRunPubSub>;

/** In-process pub/sub for `modelRunUpdated(id)`; the run's id is the routing key. */
export function createRunPubSub() {
  return createPubSub<{ [MODEL_RUN_UPDATED]: [id: string, run: ModelRunRecord] }>();
}
