import type { ApolloServerPlugin, GraphQLServerListener } from '@apollo/server';

/**
 * Apollo's landing page (Sandbox, loaded from Apollo's CDN) with a bar above it that links to the
 * offline GraphiQL at `graphiqlPath`: the bar is plain HTML, so it shows even when Sandbox cannot load.
 * Wraps the given landing page plugin (ApolloServerPluginLandingPageLocalDefault) rather than copying
 * its markup.
 */
export function landingPageWithGraphiql<TContext extends object>(sandbox: ApolloServerPlugin<TContext>, graphiqlPath: string): ApolloServerPlugin<TContext> {
  return {
    async serverWillStart(service): Promise<GraphQLServerListener | void> {
      const listener = await sandbox.serverWillStart?.(service);
      const render = listener?.renderLandingPage?.bind(listener);
      if (!listener || !render) return listener;
      return {
        ...listener,
        async renderLandingPage() {
          const page = await render();
          return { html: async () => withGraphiqlBar(typeof page.html === 'string' ? page.html : await page.html(), graphiqlPath) };
        },
      };
    },
  };
}

/** The page with the bar as the body's first element. Apollo's page allows only styles with its nonce, so the bar's style carries it. */
export function withGraphiqlBar(html: string, graphiqlPath: string): string {
  const nonce = /nonce="?([A-Za-z0-9+/=_-]+)/.exec(html)?.[1];
  const style = `<style${nonce ? ` nonce="${nonce}"` : ''}>
      #graphiql-bar { position: relative; z-index: 1; box-sizing: border-box; height: 36px; padding: 8px 16px; font: 14px/20px system-ui, sans-serif; background: #f4f6f8; border-bottom: 1px solid #d0d7de; }
      body #embeddableSandbox { top: 36px; height: calc(100vh - 36px); }
    </style>`;
  const bar = `<nav id="graphiql-bar">No internet? Open <a href="${graphiqlPath}">GraphiQL</a>, served by this server. Apollo Sandbox below loads from Apollo's CDN.</nav>`;
  const body = html.indexOf('<body>');
  if (body < 0) return `${style}${bar}${html}`;
  const at = body + '<body>'.length;
  return `${html.slice(0, at)}\n    ${style}\n    ${bar}${html.slice(at)}`;
}
