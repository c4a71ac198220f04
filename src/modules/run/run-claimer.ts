import { isUnavailable, retryWhileUnavailable } from '../../shared/retry-while-unavailable';
import { failureOf } from './run-failure';
import type { RunEvents } from './run.events';
import type { ModelRunRecord } from './run.record';
import type { RunRepository } from './run.repository';
import type { RunTracer } from './run.tracer';

export interface RunClaimerDependencies {
  readonly runs: Pick<RunRepository, 'oldestQueued' | 'claim' | 'findByIds' | 'transition' | 'giveBack'>;
  /**
   * Executes a run this replica claimed (status RUNNING, owned here). Rejects only when it could not
   * begin; the executor records every later failure itself.
   */
  readonly execute: (run: ModelRunRecord) => Promise<void>;
  /** Where a run the claimer ends or gives back is reported (the service announces and traces it). */
  readonly events: Pick<RunEvents, 'emit'>;
  readonly tracer: Pick<RunTracer, 'requeued'>;
  readonly onError: (error: unknown, runId?: string) => void;
  /** This server process: it owns the runs it claims. */
  readonly owner: string;
  /** RUN_CONCURRENCY: runs executing here at once. */
  readonly concurrency: number;
  /** RUN_MAX_ATTEMPTS: claims a run gets. */
  readonly maxAttempts: number;
  /** How often a replica with a free slot looks at the queue when nothing woke it. */
  readonly pollMs: number;
}

/**
 * This replica's side of the run queue, which is the ai_model_run table: while it has a free slot it
 * claims the oldest QUEUED runs (RunRepository.claim, one conditional UPDATE a run) and executes them.
 * Woken at once by a start on this replica, else it polls, so runs started elsewhere are shared.
 */
export class RunClaimer {
  private readonly running = new Set<string>();
  private readonly idle: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | null = null;
  private wokenDuringRound = false;
  private stopped = true;

  constructor(private readonly deps: RunClaimerDependencies) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.deps.pollMs);
    this.timer.unref();
    this.wake();
  }

  /**
   * Claims nothing more; runs already executing go on (whenIdle waits for them). Resolves once a claim
   * under way has settled, so the run it may have won is among this replica's when the caller looks.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
  }

  get freeSlots(): number {
    return Math.max(0, this.deps.concurrency - this.running.size);
  }

  /** Looks at the queue now (a run was queued or a slot freed); a wake during a round runs one more. */
  wake(): void {
    if (this.stopped) return;
    if (this.round) {
      this.wokenDuringRound = true;
      return;
    }
    this.round = this.claimRound()
      .catch((error: unknown) => this.deps.onError(error))
      .finally(() => {
        this.round = null;
        if (this.wokenDuringRound) {
          this.wokenDuringRound = false;
          this.wake();
        }
      });
  }

  /** Resolves when the last run this replica executes has ended, and no claim round is under way. */
  async whenIdle(): Promise<void> {
    await this.round;
    if (this.running.size === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private async claimRound(): Promise<void> {
    while (!this.stopped && this.freeSlots > 0) {
      const ids = await this.deps.runs.oldestQueued(this.freeSlots);
      if (ids.length === 0) return;
      for (const id of ids) {
        if (this.stopped || this.freeSlots === 0) return;
        // Lost to another replica, or cancelled meanwhile: the next oldest is tried.
        if (await this.deps.runs.claim(id, this.deps.owner, new Date())) this.launch(id);
      }
    }
  }

  private launch(id: string): void {
    this.running.add(id);
    const finish = () => {
      this.running.delete(id);
      if (this.running.size === 0) for (const resolve of this.idle.splice(0)) resolve();
      this.wake();
    };
    let claimed: ModelRunRecord | undefined;
    const begin = async () => {
      [claimed] = await this.deps.runs.findByIds([id]);
      if (claimed) await this.deps.execute(claimed);
    };
    void begin()
      .catch(async (error: unknown) => {
        this.deps.onError(error, id);
        await this.notBegun(id, claimed, error);
      })
      .finally(finish);
  }

  /**
   * A claimed run that could not begin must not stay RUNNING under this replica's heartbeat, nor loop
   * through the queue: while the database is away it goes back (the claim counted) if it has claims
   * left; any other cause will not go away on retry, so the run fails at once with its coded error.
   */
  private async notBegun(id: string, run: ModelRunRecord | undefined, error: unknown): Promise<void> {
    const { runs, owner, maxAttempts } = this.deps;
    try {
      const retry = <T>(write: () => Promise<T>) =>
        retryWhileUnavailable(
          write,
          () => this.stopped,
          (retryError) => this.deps.onError(retryError, id),
        );
      if (isUnavailable(error) && (await retry(() => runs.giveBack(id, owner, maxAttempts)))) {
        if (run) this.deps.tracer.requeued(run);
        await this.deps.events.emit('changed', id);
        return;
      }
      const { code, message } = failureOf(error);
      const failed = await retry(() =>
        runs.transition(id, ['RUNNING'], 'FAILED', { finished_at: new Date(), error_code: code, error_message: message }, undefined, owner),
      );
      if (failed) await this.deps.events.emit('ended', id);
    } catch (recordError) {
      this.deps.onError(recordError, id);
    }
  }
}
