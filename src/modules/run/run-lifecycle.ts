import type { Logger } from '../../logging/logger';
import { logFailure } from '../../logging/log-failure';
import type { RunExecutor } from './run-executor';
import { interruptedFailure } from './run-failure';
import type { RunEvents } from './run.events';
import type { RunTracer } from './run.tracer';
import type { RunRepository } from './run.repository';
import type { RunClaimer } from './run-claimer';

export interface RunLifecycleDependencies {
  readonly runs: RunRepository;
  readonly claimer: Pick<RunClaimer, 'start' | 'stop' | 'wake' | 'whenIdle'>;
  readonly executor: RunExecutor;
  /** Where the runs this ends are reported (the service traces and announces them). */
  readonly events: RunEvents;
  readonly tracer: Pick<RunTracer, 'requeued'>;
  readonly logger: Logger;
  /** This server process; it owns (heartbeats) the runs it starts. */
  readonly owner: string;
  readonly heartbeatMs: number;
  /** RUN_MAX_ATTEMPTS: claims a run gets before an owner's death or shutdown ends it INTERRUPTED. */
  readonly maxAttempts: number;
}

// A run whose owner missed this many heartbeats is taken to be orphaned by a dead process.
const MISSED_HEARTBEATS = 4;

/**
 * This process's share of the runs' life across server processes: it claims queued runs (RunClaimer),
 * keeps the runs it owns alive (a heartbeat), puts back in the queue those a dead process left behind,
 * and gives back its own when it shuts down.
 */
export class RunLifecycle {
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RunLifecycleDependencies) {}

  /** Resolves runs left RUNNING by a dead process, then claims queued runs and keeps this process's alive. */
  async start(): Promise<void> {
    await this.resolveOrphans();
    this.deps.claimer.start();
    this.heartbeat = setInterval(() => {
      void this.beat().catch((error: unknown) => logFailure(this.deps.logger, 'warn', error, {}, 'run heartbeat failed'));
    }, this.deps.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Stops claiming, the heartbeat and this process's running runs. Each goes back to the queue for
   * another replica, or this one's next start (the claim it had stays counted), and ends INTERRUPTED
   * only on its last claim (RUN_MAX_ATTEMPTS). Given back first, then cancelled here: the executor's
   * own ending is conditional on this owner and finds the run gone. It gets `graceMs` to wind down.
   */
  async stop(graceMs = 10_000): Promise<void> {
    const { runs, owner, maxAttempts, executor, events } = this.deps;
    clearInterval(this.heartbeat);
    await this.deps.claimer.stop();
    executor.stop();
    for (const run of await runs.findActiveOfOwner(owner)) {
      if (await runs.giveBack(run.id, owner, maxAttempts)) {
        this.deps.logger.info({ runId: run.id, attempts: run.attempts }, 'model run given back to the queue at shutdown');
        this.deps.tracer.requeued(run);
        executor.cancel(run.id);
        await events.emit('changed', run.id);
        continue;
      }
      const failure = interruptedFailure(`The server shut down while the run was running, on its last attempt (${run.attempts} of ${maxAttempts})`);
      const failed = await runs.transition(
        run.id,
        ['RUNNING'],
        'FAILED',
        { finished_at: new Date(), error_code: failure.code, error_message: failure.message },
        undefined,
        owner,
      );
      executor.cancel(run.id);
      if (failed) {
        this.deps.logger.warn(
          { runId: run.id, attempts: run.attempts, code: failure.code },
          'model run failed as INTERRUPTED at shutdown, on its last attempt',
        );
        await events.emit('ended', run.id);
      }
    }
    await Promise.race([this.deps.claimer.whenIdle(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }

  private async beat(): Promise<void> {
    await this.deps.runs.heartbeat(this.deps.owner, new Date());
    await this.resolveOrphans();
  }

  /**
   * A running run whose owner missed its heartbeats goes back to the queue, to be run again from the
   * start with the same seed, while it has claims left (RUN_MAX_ATTEMPTS); then it fails INTERRUPTED.
   * Both are conditional on that same stale owner, so a replica's late beat or another's requeue wins.
   * Then the publishes a dead server left in progress (resolveStalePublishes).
   */
  private async resolveOrphans(): Promise<void> {
    const before = new Date(Date.now() - MISSED_HEARTBEATS * this.deps.heartbeatMs);
    let requeued = false;
    for (const run of await this.deps.runs.findStale(before)) {
      const lastBeat = run.heartbeatAt?.toISOString() ?? 'start';
      if (run.attempts < this.deps.maxAttempts && run.owner !== null) {
        if (await this.deps.runs.requeue(run.id, run.owner, before)) {
          this.deps.logger.warn({ runId: run.id, attempts: run.attempts }, `orphaned model run queued again (no heartbeat since ${lastBeat})`);
          this.deps.tracer.requeued(run);
          await this.deps.events.emit('changed', run.id);
          requeued = true;
        }
        continue;
      }
      const failure = interruptedFailure(
        `The server process running it stopped (no heartbeat since ${lastBeat}; attempt ${run.attempts} of ${this.deps.maxAttempts})`,
      );
      const failed = await this.deps.runs.transition(run.id, ['QUEUED', 'RUNNING'], 'FAILED', {
        finished_at: new Date(),
        error_code: failure.code,
        error_message: failure.message,
      });
      if (failed) {
        this.deps.logger.warn({ runId: run.id, attempts: run.attempts }, 'orphaned model run failed as INTERRUPTED');
        await this.deps.events.emit('ended', run.id);
      }
    }
    if (requeued) this.deps.claimer.wake();
    await this.resolveStalePublishes(before);
  }

  /**
   * A run whose own publish began on a server that then stopped (no heartbeat since `before`) keeps
   * its outcome table as it was (the publish's transaction never committed): it gets publishError
   * INTERRUPTED, so clients and operators see it, instead of looking as if it were still publishing.
   */
  private async resolveStalePublishes(before: Date): Promise<void> {
    for (const run of await this.deps.runs.findStalePublishes(before)) {
      const lastBeat = run.heartbeatAt?.toISOString() ?? 'start';
      const error = {
        code: 'INTERRUPTED',
        message: `The server publishing these outcomes stopped before it ended (no heartbeat since ${lastBeat}); none of them were written. publishRunOutcomes publishes them again`,
        at: new Date(),
      };
      if (await this.deps.runs.failStalePublish(run.id, before, error)) {
        this.deps.logger.warn({ runId: run.id }, `outcome publish of a run interrupted (no heartbeat since ${lastBeat})`);
        await this.deps.events.emit('changed', run.id);
      }
    }
  }
}
