/**
 * TESTS ONLY: a TCP relay on a fixed loopback port that can be taken away and brought back on the
 * same port, to give the server a search-engine address that goes dark and returns.
 *
 * While it is closed, nothing listens on the port: a client gets ECONNREFUSED, exactly as from a
 * stopped engine, and the connections that were open are reset. It relays bytes untouched to
 * `target` (an http://host:port, e.g. an elastic-proxy in front of OpenSearch).
 */
import net from 'node:net';

export interface SwitchableRelay {
  /** http://127.0.0.1:<port>; the same port for the relay's whole life. */
  readonly url: string;
  readonly port: number;
  /** Whether the port is listening now. */
  readonly isOpen: boolean;
  /** Stops listening and resets every relayed connection (connection refused from now on). */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
}

export async function startSwitchableRelay(target: string): Promise<SwitchableRelay> {
  const upstream = new URL(target);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;

  const listen = async (): Promise<void> => {
    const next = net.createServer((client) => relayConnection(client, upstream.hostname, Number(upstream.port), sockets));
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        next.off('error', reject);
        resolve();
      });
    });
    next.unref();
    port = (next.address() as net.AddressInfo).port;
    server = next;
  };

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get isOpen() {
      return server !== undefined;
    },
    async close() {
      const current = server;
      server = undefined;
      if (!current) return;
      const closed = new Promise<void>((resolve) => current.close(() => resolve()));
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
      await closed;
    },
    async open() {
      if (!server) await listen();
    },
  };
}

/**
 * Joins an accepted client to a new connection to host:port, both tracked in `sockets` so closing the
 * relay can reset them; either side ending or failing ends both.
 */
export function relayConnection(client: net.Socket, host: string, port: number, sockets: Set<net.Socket>): void {
  const remote = net.connect({ host, port });
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
}
