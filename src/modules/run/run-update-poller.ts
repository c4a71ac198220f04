import type { ModelRunRecord } from './run.record';
import type { RunRepository } from './run.repository';

export interface RunUpdatePollerOptions {
  readonly runs: Pick<RunRepository, 'findByIds'>;
  /** Where a changed run goes: this replica's subscribers (or every replica's, through Redis). */
  readonly publish: (run: ModelRunRecord) => void;
  /** The first failed read of a streak (the next ones are not reported until a read succeeds). */
  readonly onError: (error: unknown) => void;
  /** RUN_EVENTS_POLL_MS; null: no timer, only `pollNow` (the Redis transport while it is up). */
  readonly pollMs: number | null;
}

/**
 * Reads the runs this replica's subscribers follow, so a run executing on another replica reaches them
 * without Redis: one `findByIds` a tick for all followed ids (chunked by the dialect's IN-list limit),
 * only while some are followed, publishing only a status, iteration, fraction or rows read it has not seen.
 */
export class RunUpdatePoller {
  private readonly followers = new Map<string, number>();
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private failing = false;
  private pollMs: number | null;

  constructor(private readonly options: RunUpdatePollerOptions) {
    this.pollMs = options.pollMs;
  }

  /** Polls every `pollMs` from now on; null stops the timer. */
  pollEvery(pollMs: number | null): void {
    this.pollMs = pollMs;
    if (pollMs === null && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.schedule();
  }

  /** Follows run `id` until the returned function is called (once per subscriber). */
  follow(id: string): () => void {
    this.followers.set(id, (this.followers.get(id) ?? 0) + 1);
    this.schedule();
    let followed = true;
    return () => {
      if (!followed) return;
      followed = false;
      const left = (this.followers.get(id) ?? 1) - 1;
      if (left > 0) {
        this.followers.set(id, left);
        return;
      }
      this.followers.delete(id);
      this.seen.delete(id);
    };
  }

  /** One read of every followed run now (a poll already under way counts). */
  pollNow(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = null;
      this.schedule();
    });
    return this.polling;
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.polling ?? Promise.resolve();
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.polling || this.pollMs === null || this.followers.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollNow();
    }, this.pollMs);
  }

  private async poll(): Promise<void> {
    const ids = [...this.followers.keys()];
    if (ids.length === 0) return;
    try {
      for (const run of await this.options.runs.findByIds(ids)) {
        const state = `${run.status}/${run.progress.iteration}/${run.progress.fraction}/${run.progress.rowsRead ?? ''}`;
        if (!this.followers.has(run.id) || this.seen.get(run.id) === state) continue;
        this.seen.set(run.id, state);
        this.options.publish(run);
      }
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.options.onError(error);
      this.failing = true;
    }
  }
}
