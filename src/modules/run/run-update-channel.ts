import { createPubSub, type PubSubEventTarget } from '@graphql-yoga/subscription';
import type { ModelRunRecord } from './run.record';
import type { RunRepository } from './run.repository';
import { RunUpdatePoller } from './run-update-poller';

type RunTopics = Record<string, [id: string, run: ModelRunRecord | null]>;
export type RunEventTarget = PubSubEventTarget<RunTopics>;

/** How `modelRunUpdated` hears of runs executing anywhere. */
export interface RunUpdateChannel {
  /** Tells the subscribers of `run.id`: this replica's at once, and every replica's when the channel is shared. */
  publish(run: ModelRunRecord): void;
  /** The updates of run `id` from now on: listening has begun when this resolves; `return()` stops it. */
  subscribe(id: string): Promise<AsyncIterator<ModelRunRecord>>;
  /** The shared transport is down: poll the followed runs, as without Redis, until `sharedUp`. */
  sharedDown(): void;
  /** The shared transport is back: stop polling, and read the followed runs once (messages may have been missed). */
  sharedUp(): Promise<void>;
  stop(): Promise<void>;
}

export interface RunUpdateChannelOptions {
  readonly runs: Pick<RunRepository, 'findByIds'>;
  /** Topics are `<prefix>run-updated:<run id>` (Redis channels when shared). */
  readonly prefix: string;
  /** A shared event target (Redis); without one, followed runs are polled. */
  readonly shared?: {
    readonly eventTarget: RunEventTarget;
    /** Resolves once the transport listens on `topic` (Redis acknowledged the SUBSCRIBE). */
    readonly listening: (topic: string) => Promise<void>;
  };
  /** RUN_EVENTS_POLL_MS: how often followed runs are read without a shared transport (or while it is down). */
  readonly pollMs: number;
  readonly onError: (error: unknown, what: string) => void;
}

/**
 * Subscribers listen on an in-process pub/sub, fed by this replica's own runs at once and by the
 * others' through Redis (one Redis subscription per followed run) or, without Redis or while it is
 * down, by polling the rows of the runs this replica's subscribers follow. Duplicates and older
 * updates are dropped by `currentThenUpdates`.
 */
export function createRunUpdateChannel(options: RunUpdateChannelOptions): RunUpdateChannel {
  const topic = `${options.prefix}run-updated`;
  const local = createPubSub<RunTopics>();
  const shared = options.shared ? createPubSub<RunTopics>({ eventTarget: options.shared.eventTarget }) : null;
  const deliver = (run: ModelRunRecord) => local.publish(topic, run.id, run);
  const poller = new RunUpdatePoller({
    runs: options.runs,
    publish: deliver,
    onError: (error) => options.onError(error, 'reading the followed runs'),
    pollMs: shared ? null : options.pollMs,
  });
  const bridges = new Map<string, { followers: number; listening: Promise<void>; stop: () => Promise<unknown> }>();

  /** Forwards the Redis messages of run `id` into the local pub/sub while some subscriber here follows it. */
  const bridge = async (id: string): Promise<() => Promise<void>> => {
    let entry = bridges.get(id);
    if (entry) {
      entry.followers += 1;
    } else if (shared && options.shared) {
      const remote = shared.subscribe(topic, id);
      void (async () => {
        // The first next() runs before this function's first await: the Redis listener is added now.
        for (let result = await remote.next(); !result.done; result = await remote.next()) if (result.value) deliver(result.value);
      })().catch((error: unknown) => options.onError(error, 'forwarding run updates'));
      const listening = options.shared.listening(`${topic}:${id}`).catch((error: unknown) => options.onError(error, 'subscribing to run updates'));
      entry = { followers: 1, listening, stop: () => remote.return() };
      bridges.set(id, entry);
    }
    await entry?.listening;
    let released = false;
    return async () => {
      if (released || !entry) return;
      released = true;
      entry.followers -= 1;
      if (entry.followers > 0) return;
      bridges.delete(id);
      await entry.stop();
    };
  };

  return {
    publish(run) {
      deliver(run);
      shared?.publish(topic, run.id, run);
    },
    async subscribe(id) {
      const updates = local.subscribe(topic, id);
      // A Repeater adds its listener on its first next(), not when created: ask now, answer later.
      let first: Promise<IteratorResult<ModelRunRecord | null>> | null = updates.next();
      const unfollow = poller.follow(id);
      const release = await bridge(id);
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
          await release();
          await updates.return();
          return { done: true, value: undefined };
        },
      };
    },
    sharedDown: () => poller.pollEvery(options.pollMs),
    sharedUp: () => {
      poller.pollEvery(null);
      return poller.pollNow();
    },
    stop: () => poller.stop(),
  };
}
