import { GraphQLError } from 'graphql';
import type { Context } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { Authenticator } from '../../auth/authenticator';
import type { Identity } from '../../auth/roles';
import type { SocketSessions } from '../../auth/socket-sessions';
import { AppError, isAppError } from '../../errors/app-error';

/** What a graphql-ws socket carries between hooks. */
// A type, not an interface: graphql-ws wants it assignable to Record<PropertyKey, unknown>.
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
export type SocketExtra = {
  identity?: Identity;
  /** Stops tracking the socket (SocketSessions) once it has closed. */
  release?: () => void;
};

type SocketContext = Context<Record<string, unknown>, SocketExtra & Extra>;

// graphql-ws's own code for refused credentials, as onConnect returning false uses.
const FORBIDDEN = 4403;

/**
 * graphql-ws authentication. Credentials come in connection_init's payload; wrong ones close the
 * socket with 4403 before any operation. They are checked again as each operation starts, so a key
 * revoked by another process (once this one's key cache has expired) starts nothing more, and the
 * socket is closed (4403) when this process revokes its key or its JWT expires.
 */
export function graphqlWsAuth(authenticator: Authenticator, sessions: SocketSessions) {
  const identify = (socket: SocketContext) => {
    const params = socket.connectionParams ?? {};
    return authenticator.identify(
      credentialParam(params, 'authorization'),
      credentialParam(params, 'x-api-key'),
      socket.extra.request.socket.remoteAddress ?? 'unknown',
    );
  };
  const close = (socket: SocketContext) => socket.extra.socket.close(FORBIDDEN, 'Forbidden');
  return {
    onConnect: async (socket: SocketContext): Promise<boolean> => {
      try {
        const identity = await identify(socket);
        // No credentials and no anonymous access (AUTH_ANONYMOUS=none): refused like wrong credentials.
        if (identity.role === null) return false;
        socket.extra.identity = identity;
        socket.extra.release = sessions.open(identity, () => close(socket));
        return true;
      } catch {
        return false;
      }
    },

    /** Before each operation: undefined when the credentials still hold, else the errors that refuse it. */
    recheck: async (socket: SocketContext): Promise<readonly GraphQLError[] | undefined> => {
      try {
        const identity = await identify(socket);
        if (identity.role !== null) return undefined;
        close(socket);
        return [new GraphQLError('The connection has no credentials', { extensions: { code: 'UNAUTHENTICATED' } })];
      } catch (error) {
        // Credentials no longer valid: the socket goes. Anything else (the database is down) refuses this operation only.
        if (isAppError(error) && error.code === 'UNAUTHENTICATED') close(socket);
        return [new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : undefined })];
      }
    },

    onClose: (socket: SocketContext): void => {
      socket.extra.release?.();
    },
  };
}

/** A header or connection parameter as one string (the first of several). */
export function stringParam(value: unknown): string | undefined {
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * A credential among the connection parameters by name, whatever its case, as HTTP header names are
 * matched: GraphiQL sends its Headers editor's names as typed (`X-API-Key`). Absent (or null): undefined.
 * A credential that is not a string, or a name given twice in different cases, is refused
 * (UNAUTHENTICATED), never read as no credential or as one of the two.
 */
function credentialParam(params: Record<string, unknown>, name: string): string | undefined {
  const keys = Object.keys(params).filter((candidate) => candidate.toLowerCase() === name && params[candidate] !== undefined && params[candidate] !== null);
  if (keys.length === 0) return undefined;
  if (keys.length > 1) throw new AppError('UNAUTHENTICATED', `The connection parameters give ${name} more than once (${keys.join(', ')})`);
  const value = params[keys[0]!];
  if (typeof value !== 'string') throw new AppError('UNAUTHENTICATED', `The connection parameter ${keys[0]!} must be a string`);
  return value;
}
