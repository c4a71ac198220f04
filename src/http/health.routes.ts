import { Router, type Request } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { allows } from '../auth/roles';
import type { Datastore } from '../datastore/datastore';
import { AppError, isAppError } from '../errors/app-error';
import { exposedError } from '../errors/exposure';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import { withTimeout } from '../shared/with-timeout';
import { methodNotAllowed } from './not-found';
import type { TraceWriter } from '../telemetry/trace-writer';

/** Where preparing the database stands (the app's DatabaseBootstrap). */
export interface DatabasePreparation {
  current(): { readonly done: boolean; readonly serverVersion?: string; readonly lastError?: { readonly code: string; readonly message: string } };
}

/** A server /readyz reports on without letting it decide readiness (Redis: the app serves on without it). */
export interface PingTarget {
  /** Throws unless the server answers in time. */
  ping(): Promise<void>;
}

// /readyz answers within this long even when every pooled connection is busy or the network hangs.
const READINESS_PING_TIMEOUT_MS = 2_000;

/**
 * /healthz (the process is alive), /readyz (database reachable and prepared), /metrics. /readyz tells
 * a caller without admin credentials only `{ ready }`, whatever it sends; an admin also gets the
 * dialect, server version, pool and trace counters, and a database error as its catalogue code and
 * message, and whether Redis answers (when REDIS_URL is set). The driver's own words go to the log.
 */
export function healthRoutes(
  datastore: Datastore,
  bootstrap: DatabasePreparation,
  metrics: Metrics,
  trace: TraceWriter,
  authenticator: Authenticator,
  redis: PingTarget | null,
  logger: Logger,
): Router {
  const router = Router();
  let lastLogged: string | undefined;

  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  router.get('/readyz', async (request, response) => {
    const [failure, admin, redisFailure] = await Promise.all([pingFailure(datastore), isAdmin(authenticator, request), redis && redisPingFailure(redis)]);
    const prepared = bootstrap.current();
    if (failure && failure.message !== lastLogged) {
      logger.warn({ code: failure.code, reason: exposedError(failure.code, failure.message).message }, 'readiness check: the database did not answer');
      logger.debug({ code: failure.code, err: failure.message }, 'readiness check: the database did not answer (in full)');
    }
    lastLogged = failure?.message;
    const ready = !failure && prepared.done;
    const status = ready ? 200 : 503;
    if (!admin) {
      response.status(status).json({ ready });
      return;
    }
    const error = failure ?? prepared.lastError;
    response.status(status).json({
      ready,
      database: {
        dialect: datastore.dialect.variant,
        reachable: !failure,
        prepared: prepared.done,
        serverVersion: prepared.serverVersion ?? null,
        error: error ? exposedError(error.code, error.message) : null,
      },
      pool: datastore.state().pool,
      // The trace never decides readiness: the server serves while the search engine is away.
      trace: trace.counters(),
      // Nor does Redis: without it a replica counts its own rate limit and polls the runs its subscribers follow.
      ...(redis ? { redis: { reachable: !redisFailure, error: redisFailure ?? null } } : {}),
    });
  });

  router.get('/metrics', async (_request, response) => {
    response.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  // Any other method on these paths: 405 with Allow, rather than the 404 of an unknown route.
  router.all(['/healthz', '/readyz', '/metrics'], methodNotAllowed('GET', 'HEAD'));

  return router;
}

/** Why the database did not answer a ping in time, or undefined when it did. */
async function pingFailure(datastore: Datastore): Promise<{ code: string; message: string } | undefined> {
  try {
    await withTimeout(datastore.ping(), READINESS_PING_TIMEOUT_MS, () => new AppError('DB_UNAVAILABLE', `no answer within ${READINESS_PING_TIMEOUT_MS} ms`));
    return undefined;
  } catch (error) {
    return { code: isAppError(error) ? error.code : 'INTERNAL_SERVER_ERROR', message: error instanceof Error ? error.message : String(error) };
  }
}

/** Why Redis did not answer a PING in time (its error's message, without the URL), or undefined when it did. */
async function redisPingFailure(redis: PingTarget): Promise<string | undefined> {
  try {
    await redis.ping();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Whether the request carries credentials of an admin; false for none, wrong ones, or ones that cannot be checked in time. */
async function isAdmin(authenticator: Authenticator, request: Request): Promise<boolean> {
  const apiKey = request.headers['x-api-key'];
  if (!request.headers.authorization && !apiKey) return false;
  try {
    const identity = await withTimeout(
      authenticator.identify(request.headers.authorization, Array.isArray(apiKey) ? apiKey[0] : apiKey, request.socket.remoteAddress ?? 'unknown'),
      READINESS_PING_TIMEOUT_MS,
      () => new Error('credentials not checked in time'),
    );
    return identity.method !== 'anonymous' && allows(identity.role, 'admin');
  } catch {
    return false;
  }
}
