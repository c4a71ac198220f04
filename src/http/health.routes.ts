import { Router } from 'express';
import type { DatabaseBootstrap } from '../bootstrap';
import type { Datastore } from '../datastore/datastore';
import type { Metrics } from '../metrics/metrics';
import { withTimeout } from '../shared/with-timeout';
import type { TraceWriter } from '../telemetry/trace-writer';

// /readyz answers within this long even when every pooled connection is busy or the network hangs.
const READINESS_PING_TIMEOUT_MS = 2_000;

/** /healthz (the process is alive), /readyz (it can serve: database reachable and prepared), /metrics. */
export function healthRoutes(datastore: Datastore, bootstrap: DatabaseBootstrap, metrics: Metrics, trace: TraceWriter): Router {
  const router = Router();

  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  router.get('/readyz', async (_request, response) => {
    const prepared = bootstrap.current();
    let reachable = false;
    let error: string | undefined;
    try {
      await withTimeout(datastore.ping(), READINESS_PING_TIMEOUT_MS, () => new Error(`no answer within ${READINESS_PING_TIMEOUT_MS} ms`));
      reachable = true;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const ready = reachable && prepared.done;
    response.status(ready ? 200 : 503).json({
      ready,
      database: {
        dialect: datastore.dialect.variant,
        reachable,
        prepared: prepared.done,
        serverVersion: prepared.serverVersion ?? null,
        error: error ?? prepared.lastError?.message ?? null,
      },
      pool: datastore.state().pool,
      // The trace never decides readiness: the server serves while the search engine is away.
      trace: trace.counters(),
    });
  });

  router.get('/metrics', async (_request, response) => {
    response.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  return router;
}
