import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One file the GraphiQL page loads: its URL (versioned, so it can be cached for a year) and where it lies. */
export interface GraphiqlAsset {
  readonly url: string;
  readonly file: string;
  readonly contentType: string;
}

export type GraphiqlAssets = Readonly<Record<'react' | 'reactDom' | 'graphiqlScript' | 'graphiqlStyles' | 'pageScript' | 'pageStyles', GraphiqlAsset>>;

export const GRAPHIQL_ASSET_PREFIX = '/graphiql/assets/';
const JAVASCRIPT = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
// The page's own files (plain browser code, not compiled) in the repository's static/, seen from dist/src/http/graphiql/.
const STATIC_DIRECTORY = path.resolve(__dirname, '../../../../static/graphiql');

/**
 * The named files of the packages installed with the project (graphiql's UMD build, React 18's UMD
 * production builds) and the page's own two files. Nothing else under node_modules is reachable.
 * The packages' `exports` hide these files from require.resolve, so each is found beside the
 * package's package.json, and its URL carries the package's version.
 */
export function graphiqlAssets(): GraphiqlAssets {
  return {
    react: packageFile('react', 'umd/react.production.min.js', JAVASCRIPT),
    reactDom: packageFile('react-dom', 'umd/react-dom.production.min.js', JAVASCRIPT),
    graphiqlScript: packageFile('graphiql', 'graphiql.min.js', JAVASCRIPT),
    graphiqlStyles: packageFile('graphiql', 'graphiql.min.css', CSS),
    pageScript: ownFile('graphiql-page.js', JAVASCRIPT),
    pageStyles: ownFile('graphiql-page.css', CSS),
  };
}

function packageFile(name: string, relative: string, contentType: string): GraphiqlAsset {
  const manifest = require.resolve(`${name}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { url: `${GRAPHIQL_ASSET_PREFIX}${name}@${version}/${relative}`, file: path.join(path.dirname(manifest), relative), contentType };
}

/** The page's own file, versioned by its content's hash: an edit is a new URL. */
function ownFile(name: string, contentType: string): GraphiqlAsset {
  const file = path.join(STATIC_DIRECTORY, name);
  const hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
  return { url: `${GRAPHIQL_ASSET_PREFIX}page@${hash}/${name}`, file, contentType };
}
