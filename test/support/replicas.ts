import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAdminKey, launchMain, type MainProcess } from './main-process';
import { pollUntil } from './runs';

/**
 * TESTS ONLY: several servers as `npm start` runs them (dist/src/main.js, main-process.ts) on one
 * database, started at the same moment, as replicas behind a load balancer would be.
 */
export interface Replica extends MainProcess {
  /** 'A', 'B', 'C', … in the order started. */
  readonly name: string;
  /** The run owner this process writes (run.module.ts: `<pid>-<uuid>`) begins with this. */
  readonly ownerPrefix: string;
  /** Its DATA_DIR, a temporary folder of its own (the trace files and spool go under it by default). */
  readonly dataDir: string;
  alive(): boolean;
}

/**
 * Starts `count` servers with `env` at once (no key is made first, so a fresh database stays fresh
 * until the servers prepare it), waits until each answers /readyz with 200, then makes one admin key
 * with the apikey command, which every replica accepts (keys live in the database). Each replica has
 * a DATA_DIR of its own (so its own trace files and spool unless TRACE_DIR says otherwise), and
 * `own(name)` on top of `env`.
 */
export async function startReplicas(
  count: number,
  env: Record<string, string>,
  own: (name: string) => Record<string, string> = () => ({}),
): Promise<Replica[]> {
  let adminKey = '';
  const names = Array.from({ length: count }, (_, index) => String.fromCharCode(65 + index));
  const started = await Promise.allSettled(
    names.map((name) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), `aimodel-replica-${name}-`));
      return launchMain({ DATA_DIR: dataDir, ...env, ...own(name) }, () => adminKey).then((main) => asReplica(main, name, dataDir));
    }),
  );
  const replicas = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    await stopReplicas(replicas, 'SIGKILL');
    throw failure.reason;
  }
  for (const replica of replicas) {
    await pollUntil(
      () => fetch(`${replica.url}/readyz`).then((response) => response.status),
      (status) => status === 200,
      `replica ${replica.name} ready`,
      120_000,
      100,
    );
  }
  adminKey = createAdminKey(env);
  return replicas;
}

function asReplica(main: MainProcess, name: string, dataDir: string): Replica {
  return Object.assign(main, {
    name,
    ownerPrefix: `${main.child.pid}-`,
    dataDir,
    alive: () => main.child.exitCode === null && main.child.signalCode === null,
  });
}

/** The replica whose process owns `owner` (a run's owner column). */
export function replicaOf(replicas: readonly Replica[], owner: string | null): Replica | undefined {
  return owner === null ? undefined : replicas.find((replica) => owner.startsWith(replica.ownerPrefix));
}

/** Sends `signal` to every live replica, waits until each has exited, and removes their folders. */
export async function stopReplicas(replicas: readonly Replica[], signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await Promise.all(
    replicas.map(async (replica) => {
      if (replica.alive()) replica.child.kill(signal);
      await replica.exited;
      rmSync(replica.dataDir, { recursive: true, force: true });
    }),
  );
}

/** A log line as pino writes it. */
export interface LogLine {
  readonly level?: number;
  readonly msg?: string;
  readonly code?: unknown;
  readonly err?: { readonly code?: unknown };
}

/** Lines at error level or above (pino: 50 error, 60 fatal), or naming an error code. */
export function errorLines(lines: readonly Record<string, unknown>[]): LogLine[] {
  return (lines as readonly LogLine[]).filter((line) => (line.level ?? 0) >= 50 || line.code !== undefined || line.err?.code !== undefined);
}
