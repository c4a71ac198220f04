import { createPubSub, type PubSubEventTarget } from '@graphql-yoga/subscription';
import type { ModelRunRecord } from './run.record';
import type { RunRepository } from './run.repository';
import { RunUpdatePoller } from './run-update-poller';

type RunTopics = Record<string, [id: string, run: ModelRunRecord | null]>;
export type RunEventTarget = PubSubEventTarget<RunTopics>;

/** How `modelRunUpdated` hears of runs executing anywhere. */
export interface RunUpdateChannel {
  /** Tells the subscribers of `run.id`: this replica's, and every replica's when the channel is shared. */
  publish(run: ModelRunRecord): void;
  /** The updates of run `id` from now on: listening has begun when this resolves; `return()` stops it. */
  subscribe(id: string): Promise<AsyncIterator<ModelRunRecord>>;
  /** Reads the followed runs again and publishes what changed (after a lost Redis connection, when messages may have been missed). */
  catchUp(): Promise<void>;
  stop(): Promise<void>;
}

export interface RunUpdateChannelOptions {
  readonly runs: Pick<RunRepository, 'findByIds'>;
  /** Topics are `<prefix>run-updated:<run id>` (Redis channels when shared). */
  readonly prefix: string;
  /** A shared event target (Redis); without one, updates stay in this process and followed runs are polled. */
  readonly shared?: {
    readonly eventTarget: RunEventTarget;
    /** Resolves once the transport listens on `topic` (Redis acknowledged the SUBSCRIBE). */
    readonly listening: (topic: string) => Promise<void>;
  };
  /** RUN_EVENTS_POLL_MS: how often followed runs are read when the channel is not shared. */
  readonly pollMs: number;
  readonly onError: (error: unknown, what: string) => void;
}

/**
 * With Redis, updates go through its publish/subscribe to every replica. Without it, each replica
 * polls the rows of the runs its own subscribers follow; the executing replica also publishes locally
 * at once. Duplicates and older updates are dropped by `currentThenUpdates`.
 */
export function createRunUpdateChannel(options: RunUpdateChannelOptions): RunUpdateChannel {
  const topic = `${options.prefix}run-updated`;
  const pubSub = createPubSub<RunTopics>(options.shared ? { eventTarget: options.shared.eventTarget } : {});
  const poller = new RunUpdatePoller({
    runs: options.runs,
    publish: (run) => pubSub.publish(topic, run.id, run),
    onError: (error) => options.onError(error, 'reading the followed runs'),
    // Shared: no timer, only a catch-up after a reconnect.
    pollMs: options.shared ? null : options.pollMs,
  });
  return {
    publish: (run) => pubSub.publish(topic, run.id, run),
    async subscribe(id) {
      const updates = pubSub.subscribe(topic, id);
      // A Repeater adds its listener on its first next(), not when created: ask now, answer later.
      let first: Promise<IteratorResult<ModelRunRecord | null>> | null = updates.next();
      const unfollow = poller.follow(id);
      try {
        await options.shared?.listening(`${topic}:${id}`);
      } catch (error) {
        options.onError(error, 'subscribing to run updates');
      }
      return {
        async next() {
          for (;;) {
            const result = await (first ?? updates.next());
            first = null;
            // null: a message that could not be read (logged where it was decoded).
            if (result.done || result.value !== null) return result as IteratorResult<ModelRunRecord>;
          }
        },
        async return() {
          unfollow();
          await updates.return();
          return { done: true, value: undefined };
        },
      };
    },
    catchUp: () => poller.pollNow(),
    stop: () => poller.stop(),
  };
}
