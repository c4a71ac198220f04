/**
 * TESTS ONLY: the switchable relay of test/support/switchable-relay.ts, run on a worker thread, for a
 * DATABASE used by a server in the test's own process.
 *
 * Why not the plain relay: node-odbc frees a statement handle (SQLFreeHandle) on the main JavaScript
 * thread once a query has finished, and psqlODBC then sends DEALLOCATE for the statement's prepared
 * plan and waits for PostgreSQL's answer — a network round trip with the event loop blocked. A relay
 * on that same event loop cannot forward the round trip, so the process hangs for good (seen: the
 * main thread in PQgetResult under QueryAsyncWorker::~QueryAsyncWorker, PostgreSQL waiting for the
 * client with the migration transaction open). On its own thread the relay keeps forwarding however
 * long the main thread is blocked.
 *
 * Same behaviour as the plain relay: a fixed loopback port; close() stops listening (connection
 * refused from then on) and resets every relayed connection; open() listens again on the same port.
 */
import net from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { SwitchableRelay } from './switchable-relay';

export interface ThreadedRelay extends SwitchableRelay {
  /** Connections accepted since the relay started (each one a database session opened through it). */
  accepted(): Promise<number>;
  /** Closes the relay and ends its thread. */
  stop(): Promise<void>;
}

interface RelayThreadData {
  readonly relayTarget: { host: string; port: number };
}

type Command = { id: number; command: 'open' | 'close' | 'accepted' };
type Reply = { id: number; port?: number; accepted?: number; error?: string };

/** Starts a relay to `target` (e.g. `127.0.0.1:5432` given as http://127.0.0.1:5432), listening now. */
export async function startThreadedRelay(target: string): Promise<ThreadedRelay> {
  const upstream = new URL(target);
  const worker = new Worker(__filename, { workerData: { relayTarget: { host: upstream.hostname, port: Number(upstream.port) } } satisfies RelayThreadData });
  worker.unref();
  let nextId = 0;
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  worker.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error) waiter?.reject(new Error(reply.error));
    else waiter?.resolve(reply);
  });
  worker.on('error', (error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  });
  const send = (command: Command['command']) =>
    new Promise<Reply>((resolve, reject) => {
      const id = (nextId += 1);
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, command } satisfies Command);
    });

  let port = (await send('open')).port!;
  let open = true;
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get isOpen() {
      return open;
    },
    async close() {
      await send('close');
      open = false;
    },
    async open() {
      port = (await send('open')).port!;
      open = true;
    },
    async accepted() {
      return (await send('accepted')).accepted!;
    },
    async stop() {
      await send('close').catch(() => undefined);
      open = false;
      await worker.terminate();
    },
  };
}

/** The worker thread's side: one listening server at a time, on the same port once it has one. */
function runRelayThread({ relayTarget }: RelayThreadData): void {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let accepted = 0;

  const listen = async (): Promise<void> => {
    if (server) return;
    const next = net.createServer((client) => {
      accepted += 1;
      const remote = net.connect({ host: relayTarget.host, port: relayTarget.port });
      sockets.add(client);
      sockets.add(remote);
      const drop = () => {
        client.destroy();
        remote.destroy();
        sockets.delete(client);
        sockets.delete(remote);
      };
      client.on('error', drop).on('close', drop);
      remote.on('error', drop).on('close', drop);
      client.pipe(remote);
      remote.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        next.off('error', reject);
        resolve();
      });
    });
    port = (next.address() as net.AddressInfo).port;
    server = next;
  };

  const close = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (!current) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    await closed;
  };

  parentPort!.on('message', (message: Command) => {
    const work = message.command === 'open' ? listen() : message.command === 'close' ? close() : Promise.resolve();
    work.then(
      () => parentPort!.postMessage({ id: message.id, port, accepted } satisfies Reply),
      (error: unknown) => parentPort!.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies Reply),
    );
  });
}

if (!isMainThread && (workerData as Partial<RelayThreadData> | undefined)?.relayTarget) runRelayThread(workerData as RelayThreadData);
