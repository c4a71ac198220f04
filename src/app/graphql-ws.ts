import type http from 'node:http';
import type { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/authenticator';
import { NOBODY } from '../auth/roles';
import type { SocketSessions } from '../auth/socket-sessions';
import type { Config } from '../config/config';
import { createContext, requestIdFrom, type GraphqlContext, type Services } from '../graphql/context';
import { graphqlWsAuth, type SocketExtra } from '../graphql/graphql-ws/auth';
import { graphqlWsHooks } from '../graphql/graphql-ws/hooks';
import type { Logger } from '../logging/logger';

export interface GraphqlWsOptions {
  readonly httpServer: http.Server;
  readonly schema: GraphQLSchema;
  readonly config: Config;
  readonly services: Services;
  readonly authenticator: Authenticator;
  readonly sockets: SocketSessions;
  readonly formatErrors: (errors: readonly GraphQLError[], context?: GraphqlContext) => GraphQLFormattedError[];
  readonly logger: Logger;
}

/**
 * Subscriptions over graphql-ws, on the HTTP server's port and /graphql path. Credentials come in
 * connection_init's payload and are checked again as each operation starts.
 */
export function serveGraphqlWs(options: GraphqlWsOptions) {
  const { schema, config, services, logger } = options;
  const socketAuth = graphqlWsAuth(options.authenticator, options.sockets);
  // The query limits, introspection setting and error treatment of HTTP, on the socket too.
  const hooks = graphqlWsHooks({ schema, limits: config.queryLimits, introspection: config.introspection, formatErrors: options.formatErrors });
  return useServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      onConnect: socketAuth.onConnect,
      onClose: socketAuth.onClose,
      context: (socket) => createContext(services, logger, requestIdFrom(undefined), socket.extra.identity ?? NOBODY),
      ...hooks,
      onSubscribe: async (socket, id, payload) => (await socketAuth.recheck(socket)) ?? hooks.onSubscribe!(socket, id, payload),
    },
    // One message at most GRAPHQL_BODY_LIMIT, as over HTTP (ws's default is 100 MiB): more closes the socket with 1009.
    new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: config.bodyLimitBytes }),
  );
}
