import type { Logger } from '../../logging/logger';
import { logFailure } from '../../logging/log-failure';
import type { RunExecutor } from './run-executor';
import { interruptedFailure } from './run-failure';
import type { RunEvents } from './run.events';
import type { RunRepository } from './run.repository';
import type { RunScheduler } from './run-scheduler';

export interface RunLifecycleDependencies {
  readonly runs: RunRepository;
  readonly scheduler: RunScheduler;
  readonly executor: RunExecutor;
  /** Where the runs this ends are reported (the service traces and announces them). */
  readonly events: RunEvents;
  readonly logger: Logger;
  /** This server process; it owns (heartbeats) the runs it starts. */
  readonly owner: string;
  readonly heartbeatMs: number;
}

// A run whose owner missed this many heartbeats is taken to be orphaned by a dead process.
const MISSED_HEARTBEATS = 4;

/**
 * This process's share of the runs' life across server processes: it keeps the runs it owns alive
 * (a heartbeat), fails those a dead process left behind, and interrupts its own when it shuts down.
 */
export class RunLifecycle {
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RunLifecycleDependencies) {}

  /** Resolves runs left QUEUED or RUNNING by a dead process, then keeps this process's runs alive. */
  async start(): Promise<void> {
    await this.resolveOrphans();
    this.heartbeat = setInterval(() => {
      void this.beat().catch((error: unknown) => logFailure(this.deps.logger, 'warn', error, {}, 'run heartbeat failed'));
    }, this.deps.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Stops the heartbeat and this process's unfinished runs: each is failed as INTERRUPTED (the server
   * shut down), its computation cancelled, and the executor given `graceMs` to wind down.
   */
  async stop(graceMs = 10_000): Promise<void> {
    clearInterval(this.heartbeat);
    this.deps.executor.stop();
    for (const run of await this.deps.runs.findActiveOfOwner(this.deps.owner)) {
      this.deps.scheduler.remove(run.id);
      const failure = interruptedFailure('The server shut down while the run was queued or running');
      await this.deps.runs.transition(run.id, ['QUEUED', 'RUNNING'], 'FAILED', {
        finished_at: new Date(),
        error_code: failure.code,
        error_message: failure.message,
      });
      this.deps.executor.cancel(run.id);
      await this.deps.events.emit('ended', run.id);
    }
    await Promise.race([this.deps.scheduler.whenIdle(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }

  private async beat(): Promise<void> {
    await this.deps.runs.heartbeat(this.deps.owner, new Date());
    await this.resolveOrphans();
  }

  /**
   * Fails (reason INTERRUPTED) every queued or running run whose owner has missed its heartbeats: the
   * queue lived in that process's memory, so such a run can never finish. Chosen over requeueing so a
   * half-read input or a crash the run itself caused is never silently retried.
   */
  private async resolveOrphans(): Promise<void> {
    const before = new Date(Date.now() - MISSED_HEARTBEATS * this.deps.heartbeatMs);
    for (const run of await this.deps.runs.findStale(before)) {
      const failure = interruptedFailure(`The server process running it stopped (no heartbeat since ${run.heartbeatAt?.toISOString() ?? 'start'})`);
      const failed = await this.deps.runs.transition(run.id, ['QUEUED', 'RUNNING'], 'FAILED', {
        finished_at: new Date(),
        error_code: failure.code,
        error_message: failure.message,
      });
      if (failed) {
        this.deps.logger.warn({ runId: run.id }, 'orphaned model run failed as INTERRUPTED');
        await this.deps.events.emit('ended', run.id);
      }
    }
  }
}
