import type { ApolloServerPlugin } from '@apollo/server';

/** Closes the graphql-ws sockets when Apollo Server drains: they share the HTTP server but not its drain. */
export function drainGraphqlWsPlugin(sockets: { dispose(): void | Promise<void> }): ApolloServerPlugin {
  return {
    serverWillStart() {
      return Promise.resolve({
        async drainServer() {
          await sockets.dispose();
        },
      });
    },
  };
}
