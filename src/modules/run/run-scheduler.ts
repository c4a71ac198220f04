import { AppError } from '../../errors/app-error';

export interface SchedulerState {
  readonly running: number;
  readonly queued: number;
  readonly concurrency: number;
  readonly queueLimit: number;
}

/**
 * Runs at most `concurrency` tasks at once and keeps at most `queueLimit` waiting, in order. A task
 * submitted to a full queue is refused at once (RUN_QUEUE_FULL) rather than left to wait unseen.
 */
export class RunScheduler {
  private running = 0;
  private readonly queue: { id: string; task: () => Promise<void> }[] = [];
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
    private readonly onTaskError: (error: unknown, id: string) => void,
  ) {}

  state(): SchedulerState {
    return { running: this.running, queued: this.queue.length, concurrency: this.concurrency, queueLimit: this.queueLimit };
  }

  /** Throws RUN_QUEUE_FULL when the task can neither start now nor wait in the queue. */
  assertCapacity(): void {
    if (this.running >= this.concurrency && this.queue.length >= this.queueLimit) {
      throw new AppError(
        'RUN_QUEUE_FULL',
        `The run queue is full: ${this.running} running, ${this.queue.length} queued (RUN_CONCURRENCY ${this.concurrency}, RUN_QUEUE_LIMIT ${this.queueLimit})`,
      );
    }
  }

  submit(id: string, task: () => Promise<void>): void {
    this.assertCapacity();
    this.queue.push({ id, task });
    this.next();
  }

  /** Takes a task out of the queue before it starts; false when it is not (or no longer) queued. */
  remove(id: string): boolean {
    const index = this.queue.findIndex((entry) => entry.id === id);
    if (index < 0) return false;
    this.queue.splice(index, 1);
    return true;
  }

  /** Resolves when nothing is running or queued. */
  whenIdle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private next(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const { id, task } = this.queue.shift()!;
      this.running += 1;
      task()
        .catch((error: unknown) => this.onTaskError(error, id))
        .finally(() => {
          this.running -= 1;
          this.next();
          if (this.running === 0 && this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve();
        });
    }
  }
}
