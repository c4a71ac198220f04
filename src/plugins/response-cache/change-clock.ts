/**
 * Counts the committed changes to the database that answers could depend on. A cached answer is
 * served only while the clock still reads the generation it was computed at: the datastore ticks it
 * after each committed write on this replica (Datastore's `onCommittedWrite`), Redis after another
 * replica's (`heard`), and after a Redis outage, when messages may have been lost.
 */
export class ChangeClock {
  private current = 0;
  private readonly listeners: (() => void)[] = [];

  get generation(): number {
    return this.current;
  }

  /** A write committed on this replica: a new generation, and the listeners (other replicas through Redis) are told. */
  changed(): void {
    this.current += 1;
    for (const listener of this.listeners) listener();
  }

  /** A change made elsewhere, or one that may have been missed: a new generation, told to nobody. */
  heard(): void {
    this.current += 1;
  }

  /** `listener` is called after each change made on this replica. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}
