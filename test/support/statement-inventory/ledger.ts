/** One line of a coverage file: a unit is `Class.method` or `Class.method#variant`. */
export interface InventoryEvent {
  /**
   * `produced`: an Oracle-family call returned SQL text for the unit; `executed`: a statement holding
   * that text, or run inside that builder call, succeeded on H2; `statement-from-excluded`: an excluded
   * method returned a statement after all.
   */
  readonly event: 'produced' | 'executed' | 'statement-from-excluded';
  readonly unit: string;
}

/**
 * TESTS ONLY: the coverage of one process. A call's SQL text waits here until a statement that holds it
 * succeeds on H2, which credits the call's units; each event is written once.
 */
export class StatementLedger {
  private readonly written = new Set<string>();
  private readonly executed = new Set<string>();
  // Text → units not yet executed, oldest first; bounded, so texts never run cannot pile up.
  private readonly pending = new Map<string, Set<string>>();

  constructor(
    private readonly write: (event: InventoryEvent) => void,
    private readonly maxPending = 300,
  ) {}

  produced(units: readonly string[], texts: readonly string[]): void {
    for (const unit of units) this.note({ event: 'produced', unit });
    const open = units.filter((unit) => !this.executed.has(unit));
    if (open.length === 0) return;
    // An empty text is in every statement: it proves nothing.
    for (const text of texts.filter((candidate) => candidate.trim() !== '')) {
      const waiting = this.pending.get(text) ?? new Set<string>();
      open.forEach((unit) => waiting.add(unit));
      this.pending.set(text, waiting);
    }
    for (const text of this.pending.keys()) {
      if (this.pending.size <= this.maxPending) break;
      this.pending.delete(text);
    }
  }

  /** A statement succeeded on H2; `running` are the units of the builder calls it ran inside. */
  statementSucceeded(sql: string, running: readonly string[]): void {
    running.forEach((unit) => this.markExecuted(unit));
    for (const [text, units] of this.pending) {
      if (sql.includes(text)) units.forEach((unit) => this.markExecuted(unit));
      if (sql.includes(text) || [...units].every((unit) => this.executed.has(unit))) this.pending.delete(text);
    }
  }

  statementFromExcluded(unit: string): void {
    this.note({ event: 'statement-from-excluded', unit });
  }

  private markExecuted(unit: string): void {
    this.executed.add(unit);
    this.note({ event: 'executed', unit });
  }

  private note(event: InventoryEvent): void {
    const id = `${event.event} ${event.unit}`;
    if (this.written.has(id)) return;
    this.written.add(id);
    this.write(event);
  }
}
