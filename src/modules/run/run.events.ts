/**
 * What the executor and the lifecycle report as a run moves on. The service listens (it announces the
 * run to subscribers and traces its ending), so neither calls the service.
 */
export interface RunEventListeners {
  /** The run's status or progress changed. */
  changed: (runId: string) => Promise<void>;
  /** The executor or the lifecycle wrote the run's terminal state; the dataset's name when the writer has it. */
  ended: (runId: string, datasetName?: string) => Promise<void>;
}

/** A typed emitter whose `emit` waits for the listeners: a run's execution ends after its ending is traced. */
export class RunEvents {
  private readonly listeners: { [E in keyof RunEventListeners]: RunEventListeners[E][] } = { changed: [], ended: [] };

  on<E extends keyof RunEventListeners>(event: E, listener: RunEventListeners[E]): void {
    this.listeners[event].push(listener);
  }

  /** Resolves once every listener has; a listener's failure rejects it. */
  async emit<E extends keyof RunEventListeners>(event: E, ...args: Parameters<RunEventListeners[E]>): Promise<void> {
    const listeners = this.listeners[event] as ((...values: Parameters<RunEventListeners[E]>) => Promise<void>)[];
    await Promise.all(listeners.map((listener) => listener(...args)));
  }
}
