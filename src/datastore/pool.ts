import { AppError } from '../errors/app-error';

/**
 * A bounded connection pool. The `odbc` package's own Pool grows without bound and hands a dead
 * connection back to the next caller; this one caps the number of connections, makes callers wait at
 * most `acquireTimeoutMs`, replaces a connection its user reports broken, re-checks one that sat idle,
 * and closes idle ones after `idleTimeoutMs`.
 */
export interface PoolOptions<C> {
  /** Most connections open or being opened at once. */
  readonly max: number;
  /** How long acquire() waits for a free connection before DB_POOL_TIMEOUT. */
  readonly acquireTimeoutMs: number;
  /** An idle connection older than this is closed by the evictor. */
  readonly idleTimeoutMs: number;
  /** A connection idle longer than this is validated before it is handed out. Default 5,000 ms. */
  readonly validateAfterIdleMs?: number;
  readonly create: () => Promise<C>;
  readonly destroy: (connection: C) => Promise<void>;
  readonly validate: (connection: C) => Promise<boolean>;
  /** Told about failures nobody awaits (a destroy that threw, an evictor error). */
  readonly onBackgroundError?: (error: unknown, context: string) => void;
}

export interface PoolState {
  readonly max: number;
  /** Open connections plus those being opened. */
  readonly size: number;
  readonly idle: number;
  readonly inUse: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
  readonly created: number;
  readonly destroyed: number;
  readonly acquireTimeouts: number;
}

interface IdleConnection<C> {
  readonly connection: C;
  readonly since: number;
  /** Another connection broke while this one sat idle: validate it before handing it out. */
  suspect?: boolean;
}

type Handover<C> = { connection: C } | { slot: true };

interface Waiter<C> {
  resolve(handover: Handover<C>): void;
  reject(error: Error): void;
}

export class ConnectionPool<C> {
  private readonly idle: IdleConnection<C>[] = [];
  private readonly inUse = new Set<C>();
  private readonly waiters: Waiter<C>[] = [];
  private size = 0;
  private created = 0;
  private destroyed = 0;
  private acquireTimeouts = 0;
  private closed = false;
  private readonly evictor: NodeJS.Timeout;
  private readonly validateAfterIdleMs: number;

  constructor(private readonly options: PoolOptions<C>) {
    this.validateAfterIdleMs = options.validateAfterIdleMs ?? 5_000;
    const every = Math.max(250, Math.min(options.idleTimeoutMs / 2, 10_000));
    this.evictor = setInterval(() => this.evictIdle(), every);
    this.evictor.unref();
  }

  state(): PoolState {
    return {
      max: this.options.max,
      size: this.size,
      idle: this.idle.length,
      inUse: this.inUse.size,
      waiting: this.waiters.length,
      created: this.created,
      destroyed: this.destroyed,
      acquireTimeouts: this.acquireTimeouts,
    };
  }

  async acquire(): Promise<C> {
    const deadline = Date.now() + this.options.acquireTimeoutMs;
    for (;;) {
      if (this.closed) throw new AppError('DB_UNAVAILABLE', 'The database pool is closed');
      const idle = this.idle.pop(); // most recently used first, so the rest can age out
      if (idle) {
        if ((idle.suspect || Date.now() - idle.since > this.validateAfterIdleMs) && !(await this.isValid(idle.connection))) {
          this.discard(idle.connection);
          continue;
        }
        this.inUse.add(idle.connection);
        return idle.connection;
      }
      if (this.size < this.options.max) return this.open();
      const handover = await this.wait(deadline);
      if ('connection' in handover) {
        this.inUse.add(handover.connection);
        return handover.connection;
      }
    }
  }

  /**
   * Gives a connection back; a broken one is closed and its place freed for a new one. A broken one
   * also makes every idle connection suspect, validated before it is handed out again however briefly
   * it sat: what broke one (the database restarted, the network cut) has most likely broken them all,
   * and the next caller should not be the one to find out.
   */
  release(connection: C, broken = false): void {
    if (!this.inUse.delete(connection)) return;
    if (broken || this.closed) {
      this.discard(connection);
      if (broken) for (const idle of this.idle) idle.suspect = true;
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ connection });
    else this.idle.push({ connection, since: Date.now() });
  }

  /** Refuses new work, fails waiters, closes idle connections, then those still in use as they return. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.evictor);
    for (const waiter of this.waiters.splice(0)) waiter.reject(new AppError('DB_UNAVAILABLE', 'The database pool is closing'));
    await Promise.all(this.idle.splice(0).map(({ connection }) => this.destroyNow(connection)));
  }

  private async open(): Promise<C> {
    this.size += 1;
    try {
      const connection = await this.options.create();
      this.created += 1;
      if (this.closed) {
        // Not discard(): the catch below already gives the slot back, once.
        void this.destroyNow(connection, false);
        throw new AppError('DB_UNAVAILABLE', 'The database pool is closed');
      }
      this.inUse.add(connection);
      return connection;
    } catch (error) {
      this.size -= 1;
      this.wakeForSlot();
      throw error;
    }
  }

  private wait(deadline: number): Promise<Handover<C>> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter<C> = {
        resolve: (handover) => {
          clearTimeout(timer);
          resolve(handover);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(
        () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          this.acquireTimeouts += 1;
          reject(
            new AppError(
              'DB_POOL_TIMEOUT',
              `No database connection was free within ${this.options.acquireTimeoutMs} ms (pool max ${this.options.max}, ${this.inUse.size} in use, ${this.waiters.length} waiting)`,
            ),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiters.push(waiter);
    });
  }

  private wakeForSlot(): void {
    this.waiters.shift()?.resolve({ slot: true });
  }

  private async isValid(connection: C): Promise<boolean> {
    try {
      return await this.options.validate(connection);
    } catch {
      return false;
    }
  }

  /** Drops a connection from the pool at once and closes it in the background. */
  private discard(connection: C): void {
    this.size -= 1;
    void this.destroyNow(connection, false);
    this.wakeForSlot();
  }

  private async destroyNow(connection: C, counted = true): Promise<void> {
    if (counted) this.size -= 1;
    this.destroyed += 1;
    try {
      await this.options.destroy(connection);
    } catch (error) {
      this.options.onBackgroundError?.(error, 'closing a pooled connection');
    }
  }

  private evictIdle(): void {
    const cutoff = Date.now() - this.options.idleTimeoutMs;
    for (let index = this.idle.length - 1; index >= 0; index -= 1) {
      const idle = this.idle[index]!;
      if (idle.since < cutoff) {
        this.idle.splice(index, 1);
        void this.destroyNow(idle.connection);
      }
    }
  }
}
