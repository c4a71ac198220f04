import { Router, type Request, type Response } from 'express';
import type { Authenticator } from '../../auth/authenticator';
import { requestIdFrom } from '../../graphql/context';
import { logFailure } from '../../logging/log-failure';
import type { Logger } from '../../logging/logger';
import type { Assignment } from '../../modules/run/assignment.repository';
import type { OutcomeRow } from '../../modules/outcome/outcome.record';
import type { RunExportService } from '../../modules/run/run-export.service';
import { isRunId, runNotFound } from '../../modules/run/run-id';
import { sendJsonError } from '../json-error';
import { methodNotAllowed } from '../not-found';
import { requireRole } from '../route-identity';
import { CSV, NDJSON, type ExportColumn, type TableFormat } from './table-format';
import { leadingCharacters } from '../../shared/character-count';

const ASSIGNMENT_COLUMNS: readonly ExportColumn<Assignment>[] = [
  { name: 'entityKey', type: 'text', value: (row) => row.entityKey },
  { name: 'cluster', type: 'integer', value: (row) => row.cluster },
  { name: 'distance', type: 'double', value: (row) => row.distance },
];

const OUTCOME_COLUMNS: readonly ExportColumn<OutcomeRow>[] = [
  { name: 'entityKey', type: 'text', value: (row) => row.entityKey },
  { name: 'runId', type: 'text', value: (row) => row.runId },
  { name: 'cluster', type: 'integer', value: (row) => row.cluster },
  { name: 'distance', type: 'double', value: (row) => row.distance },
  { name: 'scoredAt', type: 'timestamp', value: (row) => row.scoredAt },
];

interface Export<T> {
  readonly columns: readonly ExportColumn<T>[];
  open(service: RunExportService, runId: string): Promise<AsyncGenerator<readonly T[]>>;
}

const EXPORTS: Record<string, Export<never>> = {
  assignments: { columns: ASSIGNMENT_COLUMNS, open: (service, runId) => service.assignments(runId) } satisfies Export<Assignment> as Export<never>,
  outcomes: { columns: OUTCOME_COLUMNS, open: (service, runId) => service.outcomes(runId) } satisfies Export<OutcomeRow> as Export<never>,
};
const FORMATS: Record<string, TableFormat> = { csv: CSV, ndjson: NDJSON };
const PATHS = Object.keys(EXPORTS).flatMap((name) => Object.keys(FORMATS).map((extension) => `/runs/:id/${name}.${extension}`));

/**
 * GET /runs/:id/{assignments,outcomes}.{csv,ndjson}: every row of a run, streamed a keyset page at a
 * time and written no faster than the client reads (res.write's backpressure), for viewers, with the
 * credentials /graphql takes. Refusals are JSON errors before the first byte; a failure after it
 * cuts the connection, so the response cannot pass for a complete one.
 */
export function runExportRoutes(service: RunExportService, authenticator: Authenticator, logger: Logger): Router {
  const router = Router();
  for (const [name, table] of Object.entries(EXPORTS)) {
    for (const [extension, format] of Object.entries(FORMATS)) {
      router.get(`/runs/:id/${name}.${extension}`, async (request: Request<{ id: string }>, response) => {
        const runId = request.params.id;
        const requestId = requestIdFrom(request.headers['x-request-id']);
        const log = logger.child({ requestId, runId: leadingCharacters(runId, 64), export: `${name}.${extension}` });
        let pages: AsyncGenerator<readonly never[]>;
        try {
          await requireRole(authenticator, request, 'viewer');
          if (!isRunId(runId)) throw runNotFound(runId);
          pages = await table.open(service, runId);
        } catch (error) {
          sendJsonError(response, error, requestId, log);
          return;
        }
        await stream(response, request.method === 'HEAD', format, table.columns, pages, `run-${runId}-${name}.${extension}`, log);
      });
    }
  }
  router.all(PATHS, methodNotAllowed('GET', 'HEAD'));
  return router;
}

async function stream<T>(
  response: Response,
  headOnly: boolean,
  format: TableFormat,
  columns: readonly ExportColumn<T>[],
  pages: AsyncGenerator<readonly T[]>,
  filename: string,
  log: Logger,
): Promise<void> {
  response.status(200).set({
    'Content-Type': format.contentType,
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  if (headOnly) {
    await pages.return(undefined);
    response.end();
    return;
  }
  let rows = 0;
  // 'close' before the end: the client went away (or the connection was cut).
  let gone = false;
  response.once('close', () => (gone = true));
  const write = async (chunk: string): Promise<boolean> => {
    if (gone) return false;
    if (chunk !== '' && !response.write(chunk)) await drained(response);
    return !gone;
  };
  try {
    let going = await write(format.header(columns));
    for await (const page of going ? pages : []) {
      rows += page.length;
      going = await write(format.rows(columns, page));
      // Leaving the loop ends the generator: no further page is read.
      if (!going) break;
    }
    if (!going) {
      await pages.return(undefined);
      log.info({ rows }, 'export stopped: the client went away');
      return;
    }
  } catch (error) {
    // The status and part of the body are out: only a connection cut short tells the client it is not all.
    logFailure(log, 'error', error, { rows }, 'export failed after the response began; the connection was cut');
    response.destroy();
    return;
  }
  response.end();
}

/** Resolves once the socket's buffer has drained, or the response has closed. */
function drained(response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
