import type { ModelRunRecord } from './run.record';
import type { RunRepository } from './run.repository';

export interface RunClaimerDependencies {
  readonly runs: Pick<RunRepository, 'oldestQueued' | 'claim' | 'findByIds' | 'transition'>;
  /**
   * Executes a run this replica claimed (status RUNNING, owned here). Rejects only when it could not
   * begin (the run is then given back to the queue); the executor records every later failure itself.
   */
  readonly execute: (run: ModelRunRecord) => Promise<void>;
  readonly onError: (error: unknown, runId?: string) => void;
  /** This server process: it owns the runs it claims. */
  readonly owner: string;
  /** RUN_CONCURRENCY: runs executing here at once. */
  readonly concurrency: number;
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

  /** Claims nothing more; runs already executing go on (whenIdle waits for them). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
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
    const begin = async () => {
      const [run] = await this.deps.runs.findByIds([id]);
      if (run) await this.deps.execute(run);
    };
    void begin()
      .catch(async (error: unknown) => {
        this.deps.onError(error, id);
        await this.giveBack(id);
      })
      .finally(finish);
  }

  /**
   * A claimed run this replica could not begin goes back to the queue rather than staying RUNNING under
   * this replica's heartbeat for ever (the claim stays counted in its attempts).
   */
  private async giveBack(id: string): Promise<void> {
    try {
      await this.deps.runs.transition(id, ['RUNNING'], 'QUEUED', { owner: null, started_at: null }, undefined, this.deps.owner);
    } catch (error) {
      this.deps.onError(error, id);
    }
  }
}
