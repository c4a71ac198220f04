/**
 * TESTS ONLY: the switchable relay of test/support/switchable-relay.ts, run in a child process, for a
 * DATABASE used by a server in the test's own process.
 *
 * Why not the plain relay: node-odbc frees a statement handle (SQLFreeHandle) on the main JavaScript
 * thread once a query has finished, and psqlODBC then sends DEALLOCATE for the statement's prepared
 * plan and waits for PostgreSQL's answer — a network round trip with the event loop blocked. A relay
 * on that same event loop cannot forward the round trip, so the process hangs for good (seen: the
 * main thread in PQgetResult under QueryAsyncWorker::~QueryAsyncWorker, PostgreSQL waiting for the
 * client with the migration transaction open).
 *
 * Why not a worker thread: Worker.terminate() after connections had been reset never finished (the
 * worker spinning in Environment::CleanupHandles), hanging the test's `after`. A child process is
 * simply killed.
 *
 * Same behaviour as the plain relay: a fixed loopback port; close() stops listening (connection
 * refused from then on) and resets every relayed connection; open() listens again on the same port.
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { relayConnection, type SwitchableRelay } from './switchable-relay';

export interface ProcessRelay extends SwitchableRelay {
  /** Kills the relay process (every relayed connection goes with it). */
  stop(): Promise<void>;
}

const TARGET_VARIABLE = 'AIMODEL_TEST_RELAY_TARGET';

interface Command {
  id: number;
  command: 'open' | 'close';
}
interface Reply {
  id: number;
  port?: number;
  error?: string;
}

/** Starts a relay to `target` (host and port of an http://host:port address), listening now. */
export async function startProcessRelay(target: string): Promise<ProcessRelay> {
  const upstream = new URL(target);
  const child: ChildProcess = fork(__filename, [], {
    env: { ...process.env, [TARGET_VARIABLE]: `${upstream.hostname}:${upstream.port}` },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The channel keeps the test process alive only while an answer is awaited.
  const settle = () => {
    if (pending.size === 0) child.channel?.unref();
  };
  child.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    settle();
    if (reply.error) waiter?.reject(new Error(reply.error));
    else waiter?.resolve(reply);
  });
  void exited.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error('the relay process exited'));
    pending.clear();
  });
  const send = (command: Command['command']) =>
    new Promise<Reply>((resolve, reject) => {
      const id = (nextId += 1);
      pending.set(id, { resolve, reject });
      child.channel?.ref();
      child.send({ id, command } satisfies Command);
    });

  // The process itself never keeps the test process alive.
  child.unref();
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
    async stop() {
      open = false;
      if (child.exitCode === null && child.signalCode === null) {
        child.ref(); // until its exit has been seen
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

/** The relay process: one listening server at a time, on the same port once it has one. */
function runRelayProcess(target: string): void {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let listeningPort = 0;

  const listen = async (): Promise<void> => {
    if (server) return;
    const next = net.createServer((client) => relayConnection(client, host, port, sockets));
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(listeningPort, '127.0.0.1', () => {
        next.off('error', reject);
        resolve();
      });
    });
    listeningPort = (next.address() as net.AddressInfo).port;
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

  process.on('message', (message: Command) => {
    const work = message.command === 'open' ? listen() : close();
    work.then(
      () => process.send!({ id: message.id, port: listeningPort } satisfies Reply),
      (error: unknown) => process.send!({ id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies Reply),
    );
  });
  // The test process is gone: so is the relay.
  process.on('disconnect', () => process.exit(0));
}

const relayTarget = process.env[TARGET_VARIABLE];
if (relayTarget && process.send && require.main === module) runRelayProcess(relayTarget);
