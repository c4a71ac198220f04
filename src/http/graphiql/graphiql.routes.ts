import { Router } from 'express';
import { methodNotAllowed } from '../not-found';
import { GRAPHIQL_ASSET_PREFIX, graphiqlAssets, type GraphiqlAsset, type GraphiqlAssets } from './graphiql-assets';

export const GRAPHIQL_PATH = '/graphiql';
const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Only this server: scripts, styles, fetches and the graphql-ws socket from its own origin. Fonts and
 * icons come as data: URIs inside graphiql.min.css. GraphiQL's dialogs (Radix UI's scroll lock) add
 * <style> elements at run time, with content that varies (a hash cannot match it), so style-src-elem
 * alone takes 'unsafe-inline'; no script needs eval or inline code, and style attributes stay refused.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-elem 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * GET /graphiql: GraphiQL over /graphql (and graphql-ws on the same path), with every file served from
 * the packages installed with the project, so the IDE works without internet. Mounted only when
 * introspection is on, as Apollo's landing page is; the page holds nothing secret (credentials go in
 * its Headers editor and /graphql checks them).
 */
export function graphiqlRoutes(): Router {
  const assets = graphiqlAssets();
  const byUrl = new Map<string, GraphiqlAsset>(Object.values(assets).map((asset) => [asset.url, asset]));
  const page = pageHtml(assets);
  const router = Router();

  router.get(GRAPHIQL_PATH, (_request, response) => {
    response.set({ 'Content-Security-Policy': GRAPHIQL_CSP, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    response.type('text/html; charset=utf-8').send(page);
  });
  router.all(GRAPHIQL_PATH, methodNotAllowed('GET', 'HEAD'));

  // Only the named files: any other path here falls through to the JSON 404.
  router.get(`${GRAPHIQL_ASSET_PREFIX}*file`, (request, response, next) => {
    const asset = byUrl.get(request.path);
    if (!asset) {
      next();
      return;
    }
    response.set({ 'Content-Type': asset.contentType, 'X-Content-Type-Options': 'nosniff' });
    // The URL carries the version (a package's, or the hash of the page's own file): cached for good.
    response.sendFile(asset.file, { maxAge: ONE_YEAR_MS, immutable: true }, (error) => {
      if (error) next(error);
    });
  });

  return router;
}

function pageHtml(assets: GraphiqlAssets): string {
  const script = (asset: GraphiqlAsset) => `<script src="${asset.url}"></script>`;
  const stylesheet = (asset: GraphiqlAsset) => `<link rel="stylesheet" href="${asset.url}" />`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>GraphiQL</title>
    <link rel="icon" href="data:," />
    ${stylesheet(assets.graphiqlStyles)}
    ${stylesheet(assets.pageStyles)}
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    ${script(assets.react)}
    ${script(assets.reactDom)}
    ${script(assets.graphiqlScript)}
    ${script(assets.pageScript)}
  </body>
</html>
`;
}
