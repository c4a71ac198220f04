/**
 * Counts the changes to the database that answers could depend on. A cached answer is served only
 * while the clock still reads the generation it was computed at and no write of this replica is under
 * way: the datastore tells it when each write starts and ticks it when the write has ended
 * (Datastore's `writes`), Redis ticks it after another replica's (`heard`), and after a Redis outage,
 * when messages may have been lost.
 */
export class ChangeClock {
  private current = 0;
  private open = 0;
  private readonly listeners: (() => Promise<void> | void)[] = [];
  private lastTold: Promise<unknown> = Promise.resolve();

  get generation(): number {
    return this.current;
  }

  /** No write of this replica is under way: what a read gives now is not about to change under it. */
  get quiet(): boolean {
    return this.open === 0;
  }

  /** A write of this replica may start to show (Datastore's `writes.started`). */
  started(): void {
    this.open += 1;
  }

  /** That write has ended: a new generation, the listeners told (Datastore's `writes.ended`). */
  ended(): void {
    this.open = Math.max(0, this.open - 1);
    this.changed();
  }

  /** A write on this replica: a new generation, and the listeners (other replicas through Redis) are told. */
  private changed(): void {
    this.current += 1;
    const telling = this.listeners.map((listener) => Promise.resolve(listener()));
    if (telling.length > 0) this.lastTold = Promise.all(telling);
  }

  /** A change made elsewhere, or one that may have been missed: a new generation, told to nobody. */
  heard(): void {
    this.current += 1;
  }

  /**
   * `listener` is called after each change made on this replica; a promise it returns settles once the
   * others have been told (it must not reject).
   */
  onChange(listener: () => Promise<void> | void): void {
    this.listeners.push(listener);
  }

  /** Settles once the listeners have been told of every change so far (a mutation's answer waits for it). */
  async told(): Promise<void> {
    await this.lastTold;
  }
}
