export interface KeptAnswer {
  /** The ChangeClock's generation read before the answer was computed. */
  readonly generation: number;
  /** When it was kept (ms since the epoch). */
  readonly at: number;
  readonly data: Record<string, unknown>;
  /** The runs the operation named (for the trace of each answer given from here). */
  readonly runIds: readonly string[];
}

/**
 * The kept answers, least recently used first (a Map keeps insertion order; a hit moves its entry to
 * the end). Bounded by entries and by characters (each answer's JSON and its key), so neither many
 * distinct queries nor a few large pages can grow it past its bounds.
 */
export class ResponseStore {
  private readonly entries = new Map<string, KeptAnswer & { readonly characters: number }>();
  private characters = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxCharacters: number,
  ) {}

  /** The answer kept under `key` at `generation` no earlier than `notBefore`; an outdated one is dropped. */
  get(key: string, generation: number, notBefore: number): KeptAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.generation !== generation || entry.at < notBefore) {
      this.characters -= entry.characters;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, answer: KeptAnswer): void {
    const characters = key.length + JSON.stringify(answer.data).length;
    if (characters > this.maxCharacters / 4) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.characters -= previous.characters;
    }
    this.entries.set(key, { ...answer, characters });
    this.characters += characters;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.characters <= this.maxCharacters) break;
      this.entries.delete(oldest);
      this.characters -= entry.characters;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
