import { randomUUID } from 'node:crypto';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { WindowCounter } from '../auth/shared-rate-limiter';
import type { RedisOptions } from '../config/config';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import type { KeyRevocationBroadcast } from '../modules/api-key/api-key.service';
import { decodeRunEvent, encodeRunEvent } from '../modules/run/run-event-codec';
import type { ModelRunRecord } from '../modules/run/run.record';
import type { RunEventTarget } from '../modules/run/run-update-channel';
import { withTimeout } from '../shared/with-timeout';

// A command (rate limit, publish, ping) waits this long for Redis; a request never hangs on it.
const COMMAND_TIMEOUT_MS = 1_000;

// A failing use of Redis is logged at most this often (each failure is counted in redis_failures_total).
const FAILURE_LOG_MS = 10_000;

export type RedisFailureUse = Parameters<Metrics['observeRedisFailure']>[0];

/** The Redis connections of a replica: one for commands and publishing, one in subscriber mode. */
export class SharedRedis {
  private readonly prefix: string;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly reconnectListeners: (() => void)[] = [];
  private readonly disconnectListeners: (() => void)[] = [];
  private readonly lastLogged = new Map<RedisFailureUse, number>();
  private readonly origin = `${process.pid}-${randomUUID()}`;

  constructor(
    private readonly options: RedisOptions,
    private readonly logger: Logger,
    private readonly observeFailure: (use: RedisFailureUse) => void,
  ) {
    this.prefix = options.prefix;
    // Commands queued while disconnected fail after COMMAND_TIMEOUT_MS instead of piling up.
    this.publisher = this.connect('publisher', { commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 1 });
    // SUBSCRIBE waits for the reconnection (ioredis subscribes again to every channel after one).
    this.subscriber = this.connect('subscriber', { maxRetriesPerRequest: null });
  }

  /** The event target of run updates: JSON with Dates kept (run-event-codec.ts), on channels `<prefix>run-updated:<id>`. */
  runEventTarget(): RunEventTarget {
    return createRedisEventTarget({
      publishClient: this.catchingRejections(this.publisher, 'publish'),
      subscribeClient: this.catchingRejections(this.subscriber, 'subscribe'),
      serializer: {
        stringify: (run) => encodeRunEvent(run as ModelRunRecord),
        parse: (text) => {
          try {
            return decodeRunEvent(text);
          } catch (error) {
            this.logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'redis: a run update could not be read; skipped');
            return null;
          }
        },
      },
    });
  }

  /** Resolves once Redis has acknowledged this connection's SUBSCRIBE to `channel`. */
  async listening(channel: string): Promise<void> {
    await withTimeout(this.subscriber.subscribe(channel), COMMAND_TIMEOUT_MS, () => new Error(`no SUBSCRIBE answer within ${COMMAND_TIMEOUT_MS} ms`));
  }

  /** Fixed windows: INCR and PEXPIRE in one script, so the first call of a window sets its end atomically. */
  windowCounter(name: string): WindowCounter {
    return {
      increment: async (key, windowMs) => {
        const [count, ttl] = (await this.publisher.eval(WINDOW_SCRIPT, 1, `${this.prefix}rate-limit:${name}:${key}`, windowMs)) as [number, number];
        return { count, resetInMs: ttl };
      },
    };
  }

  /** API-key revocations: published on `<prefix>api-key-revoked`; a replica's own are not heard back. */
  keyRevocations(): KeyRevocationBroadcast {
    const channel = `${this.prefix}api-key-revoked`;
    return {
      publish: async (keyId) => {
        try {
          await this.publisher.publish(channel, JSON.stringify({ origin: this.origin, keyId }));
        } catch (error) {
          this.failed('publish', error, 'an API-key revocation was not published: other replicas forget the key within AUTH_API_KEY_CACHE_MS');
        }
      },
      subscribe: (listener) => {
        void this.catchingRejections(this.subscriber, 'subscribe').subscribe(channel);
        this.subscriber.on('message', (from: string, message: string) => {
          if (from !== channel) return;
          const { origin, keyId } = parseObject(message);
          if (origin !== this.origin && typeof keyId === 'string') listener(keyId);
        });
        // Revocations sent while the connection was down are lost: forget every cached key.
        this.onReconnect(() => listener(null));
      },
    };
  }

  /**
   * Committed writes, for the other replicas' response caches: `changed()` publishes on
   * `<prefix>data-changed` and settles once Redis has taken the message (or failed to: logged and
   * counted, never thrown); each message from another replica calls `heard`, and so does every
   * reconnection and loss of the subscriber connection (messages may have been missed).
   */
  dataChanges(heard: () => void): { changed(): Promise<void> } {
    const channel = `${this.prefix}data-changed`;
    void this.catchingRejections(this.subscriber, 'subscribe').subscribe(channel);
    this.subscriber.on('message', (from: string, message: string) => {
      if (from === channel && message !== this.origin) heard();
    });
    this.onReconnect(heard);
    this.onDisconnect(heard);
    return {
      changed: () =>
        this.publisher.publish(channel, this.origin).then(
          () => undefined,
          (error: unknown) => {
            this.failed('publish', error, 'redis: a change was not published: other replicas answer from their cache until GRAPHQL_CACHE_MS');
          },
        ),
    };
  }

  /** Called each time the subscriber connection is back after a loss (messages may have been missed). */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** Called once each time the subscriber connection is lost (or could not be made at start). */
  onDisconnect(listener: () => void): void {
    this.disconnectListeners.push(listener);
  }

  /** Throws unless Redis answers a PING within COMMAND_TIMEOUT_MS. */
  async ping(): Promise<void> {
    try {
      await withTimeout(this.publisher.ping(), COMMAND_TIMEOUT_MS, () => new Error(`no PING answer within ${COMMAND_TIMEOUT_MS} ms`));
    } catch (error) {
      throw new Error(this.scrub(error), { cause: error });
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.publisher, this.subscriber].map((client) =>
        withTimeout(client.quit(), COMMAND_TIMEOUT_MS, () => new Error('QUIT not answered')).catch(() => client.disconnect()),
      ),
    );
  }

  private connect(role: string, settings: { commandTimeout?: number; maxRetriesPerRequest: number | null }): Redis {
    // CLIENT LIST names it `<prefix><role>`: an operator sees which deployment holds which connection.
    const client = new Redis(this.options.url, { ...settings, connectionName: `${this.prefix}${role}` });
    let everReady = false;
    let warned = false;
    let down = false;
    client.on('ready', () => {
      if (everReady) {
        this.logger.info({ redis: this.options.redactedUrl, role }, 'redis: connected again');
        if (role === 'subscriber') for (const listener of this.reconnectListeners) listener();
      }
      everReady = true;
      warned = false;
      down = false;
    });
    client.on('close', () => {
      if (down) return;
      down = true;
      if (role === 'subscriber') for (const listener of this.disconnectListeners) listener();
    });
    // ioredis reconnects by itself; one warning per outage, never the URL's password.
    client.on('error', (error: Error) => {
      if (warned) return;
      warned = true;
      this.failed('connection', error, `redis: the ${role} connection failed; reconnecting`);
    });
    return client;
  }

  /** Counts the failure; logs it at warn at most once per FAILURE_LOG_MS for each use, so an outage does not flood the log. */
  failed(use: RedisFailureUse, error: unknown, message: string): void {
    this.observeFailure(use);
    const now = Date.now();
    if (now - (this.lastLogged.get(use) ?? -Infinity) < FAILURE_LOG_MS) return;
    this.lastLogged.set(use, now);
    this.logger.warn({ redis: this.options.redactedUrl, reason: this.scrub(error) }, message);
  }

  /** The error's message without the URL's password, should a library ever repeat it. */
  private scrub(error: unknown): string {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const password = URL.canParse(this.options.url) ? decodeURIComponent(new URL(this.options.url).password) : '';
    return password ? text.split(password).join('*****') : text;
  }

  /**
   * The client as createRedisEventTarget uses it, except that a failed publish, subscribe or unsubscribe
   * (Redis away, or the client closing) is logged instead of becoming an unhandled rejection.
   */
  private catchingRejections(client: Redis, use: RedisFailureUse): Redis {
    const guarded = new Set<PropertyKey>(['publish', 'subscribe', 'unsubscribe']);
    return new Proxy(client, {
      get: (target, property) => {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (!guarded.has(property)) return method.bind(target);
        return (...args: unknown[]) =>
          (method.apply(target, args) as Promise<unknown>).catch((error: unknown) => this.failed(use, error, `redis: ${String(property)} failed`));
      },
    });
  }
}

// KEYS[1]: the caller's window; ARGV[1]: its length in ms. Returns the count so far and the ms left.
const WINDOW_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

function parseObject(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
