import type { Config } from '../config/config';
import type { Datastore } from '../datastore/datastore';
import { APP_MIGRATIONS } from '../datastore/migrations/app-migrations';
import { assertSchemaCurrent, migrate } from '../datastore/migrations/migrator';
import { loadDemoDatasets } from '../demo/load-demo-datasets';
import { isAppError } from '../errors/app-error';
import type { Logger } from '../logging/logger';
import { logFailure } from '../logging/log-failure';
import { DatasetRepository } from '../modules/dataset/dataset.repository';

export interface BootstrapState {
  readonly done: boolean;
  readonly attempts: number;
  readonly serverVersion?: string;
  readonly lastError?: { code: string; message: string };
}

/**
 * Prepares the database once it can be reached: asks the server what it is, applies migrations, loads
 * the demo datasets. The server starts listening without waiting for it; while the database is down it
 * retries with backoff (capped at `maxDelayMs`) and /readyz says not ready.
 */
export class DatabaseBootstrap {
  private state: BootstrapState = { done: false, attempts: 0 };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private firstAttempt: Promise<void> | undefined;
  private readonly readyWaiters: (() => void)[] = [];
  private versionRefusalLogged = false;

  constructor(
    private readonly datastore: Datastore,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly maxDelayMs = 15_000,
  ) {}

  current(): BootstrapState {
    return this.state;
  }

  /** Starts the attempts; resolves after the first one, whether it succeeded or not. */
  start(): Promise<void> {
    this.firstAttempt ??= this.attempt();
    return this.firstAttempt;
  }

  /** Resolves once the database has been prepared (at once if it already is). */
  whenReady(): Promise<void> {
    if (this.state.done) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  // Once: every attempt asks again, and the answer will not change until a DBA grants the privilege.
  private logVersionRefused(refusal: unknown): void {
    if (this.versionRefusalLogged) return;
    this.versionRefusalLogged = true;
    logFailure(
      this.logger,
      'warn',
      refusal,
      { dialect: this.datastore.dialect.variant },
      'the database refused the server version query; going on with the version unknown (Tibero: paging with ROWNUM; grant SELECT ANY DICTIONARY to tell)',
    );
  }

  private async attempt(): Promise<void> {
    const attempts = this.state.attempts + 1;
    try {
      const serverVersion = await this.datastore.detectServer((refusal) => this.logVersionRefused(refusal));
      this.logger.info({ dialect: this.datastore.dialect.variant, serverVersion }, 'database reachable');
      // Schema by hand (DB_MIGRATE=false): not ready until it has every version this build needs.
      if (!this.config.database.migrate) await assertSchemaCurrent(this.datastore, APP_MIGRATIONS);
      // Under the schema lock: replicas starting at once on a fresh database prepare it one at a time.
      if (this.config.database.migrate || this.config.demoDatasets) {
        await this.datastore.withSchemaLock(async () => {
          if (this.config.database.migrate) {
            const report = await migrate(this.datastore, APP_MIGRATIONS);
            this.logger.info(report, 'migrations applied');
          }
          if (this.config.demoDatasets) await loadDemoDatasets(this.datastore, new DatasetRepository(this.datastore), this.logger);
        });
      }
      this.state = { done: true, attempts, serverVersion };
      for (const resolve of this.readyWaiters.splice(0)) resolve();
    } catch (error) {
      const code = isAppError(error) ? error.code : 'INTERNAL_SERVER_ERROR';
      const message = error instanceof Error ? error.message : String(error);
      this.state = { done: false, attempts, lastError: { code, message } };
      const delay = Math.min(this.maxDelayMs, 500 * 2 ** Math.min(attempts, 10));
      logFailure(this.logger, 'error', error, { retryInMs: delay }, 'database not ready');
      if (!this.stopped) {
        this.timer = setTimeout(() => void this.attempt(), delay);
        this.timer.unref();
      }
    }
  }
}
