import type { Logger } from '../logging/logger';
import type { TraceOptions } from './options';
import type { Spool } from './spool';
import type { TraceDocument } from './trace-document';
import type { SinkResult, TraceSink } from './trace-sink';

export interface TraceCounters {
  readonly sink: TraceSink['name'];
  readonly indexed: number;
  readonly spooled: number;
  readonly replayed: number;
  readonly dropped: number;
  readonly queued: number;
}

// After a failed write, the spool is tried again no sooner than this.
const REPLAY_BACKOFF_MS = 5_000;

/**
 * Takes trace documents without ever making the caller wait: `record` only queues. A timer writes the
 * queue in batches; what the engine cannot take now goes to the on-disk spool and is replayed once it
 * answers again, before anything newer. A full queue spills to the spool too. `stop` flushes the tail.
 */
export class TraceWriter {
  private queue: TraceDocument[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private nextReplayAt = 0;
  private counts = { indexed: 0, spooled: 0, replayed: 0, dropped: 0 };
  /**
   * Documents may wait in the spool (at start: left there by an earlier process). They are older than
   * the queue, so the queue goes behind them until a replay empties the spool: a run summary is
   * indexed by run id, and an older one replayed after a newer one would overwrite it.
   */
  private spoolFirst: boolean;
  /** Counts hand-overs to the spool, so a replay knows whether the spool it emptied got more since. */
  private spoolAppends = 0;

  constructor(
    private readonly sink: TraceSink,
    private readonly spool: Spool | null,
    private readonly options: TraceOptions,
    private readonly logger: Logger,
  ) {
    this.spoolFirst = spool !== null;
  }

  start(): void {
    this.sink.start?.();
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  record(document: TraceDocument): void {
    if (this.queue.length >= this.options.queueLimit) {
      // With a spool the queue goes with it, oldest first, so that the spool keeps the documents' order.
      void this.toSpool(this.spool ? [...this.queue.splice(0), document] : [document], 'the trace queue is full');
      return;
    }
    this.queue.push(document);
    if (this.queue.length >= this.options.batchSize) void this.flush();
  }

  counters(): TraceCounters {
    return { sink: this.sink.name, ...this.counts, queued: this.queue.length };
  }

  /** Writes everything queued so far (one flush at a time; a caller during a flush waits for it). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    // A flush that was running when stop began may have left documents queued after it.
    if (this.queue.length > 0) await this.flush();
    await this.sink.close();
  }

  private async drain(): Promise<void> {
    if (this.spoolFirst && Date.now() >= this.nextReplayAt) await this.replay();
    while (this.queue.length > 0) {
      if (this.spoolFirst) {
        await this.toSpool(this.queue.splice(0), 'older trace documents wait in the spool');
        return;
      }
      const batch = this.queue.splice(0, this.options.batchSize);
      const result = await this.write(batch);
      this.counts.indexed += batch.length - result.retryable.length - result.rejected.length;
      for (const { reason } of result.rejected) this.logger.warn({ reason }, 'trace document rejected');
      this.counts.dropped += result.rejected.length;
      if (result.retryable.length > 0) {
        await this.toSpool(result.retryable, 'the trace sink is unavailable');
        this.nextReplayAt = Date.now() + REPLAY_BACKOFF_MS;
        // The engine is down: spool the rest of the queue now rather than retrying it batch by batch.
        await this.toSpool(this.queue.splice(0), 'the trace sink is unavailable');
      }
    }
  }

  /** A sink that throws (instead of answering retryable) must not reject the flush: nobody awaits it. */
  private async write(batch: TraceDocument[]): Promise<SinkResult> {
    try {
      return await this.sink.write(batch);
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'trace sink write failed');
      return { retryable: [...batch], rejected: [] };
    }
  }

  private async replay(): Promise<void> {
    const appendsBefore = this.spoolAppends;
    let rejected = 0;
    let result: { sent: number; kept: number };
    try {
      result = await this.spool!.replay(this.options.batchSize, async (batch) => {
        const written = await this.write(batch);
        for (const { reason } of written.rejected) this.logger.warn({ reason }, 'trace document rejected');
        rejected += written.rejected.length;
        return written.retryable;
      });
    } catch (error) {
      // The spool cannot be read or rewritten: it keeps its documents; try again after the back-off.
      this.nextReplayAt = Date.now() + REPLAY_BACKOFF_MS;
      this.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'the trace spool cannot be replayed');
      return;
    }
    // A rejected document is dropped, not replayed (`sent` counts every document the spool let go of).
    this.counts.dropped += rejected;
    this.counts.replayed += result.sent - rejected;
    if (result.kept > 0) this.nextReplayAt = Date.now() + REPLAY_BACKOFF_MS;
    else {
      if (this.spoolAppends === appendsBefore) this.spoolFirst = false;
      if (result.sent > rejected) this.logger.info({ documents: result.sent - rejected }, 'spooled trace documents replayed');
    }
  }

  private async toSpool(documents: TraceDocument[], why: string): Promise<void> {
    if (documents.length === 0) return;
    if (!this.spool) {
      this.counts.dropped += documents.length;
      this.logger.warn({ documents: documents.length, why }, 'trace documents dropped (no spool)');
      return;
    }
    this.spoolFirst = true;
    this.spoolAppends += 1;
    try {
      if ((await this.spool.size()) >= this.options.spoolMaxBytes) {
        this.counts.dropped += documents.length;
        this.logger.error({ documents: documents.length, why, spoolMaxBytes: this.options.spoolMaxBytes }, 'trace documents dropped: the spool is full');
        return;
      }
      await this.spool.append(documents);
      this.counts.spooled += documents.length;
    } catch (error) {
      this.counts.dropped += documents.length;
      this.logger.error(
        { documents: documents.length, err: error instanceof Error ? error.message : String(error) },
        'trace documents dropped: the spool cannot be written',
      );
    }
  }
}
