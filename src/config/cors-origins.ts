import type { EnvReader } from './env-reader';

/** Which browser origins may call the API from their pages (src/http/cors.ts). */
export interface CorsPolicy {
  /** Exact origins (scheme://host[:port]) from CORS_ORIGINS. */
  readonly origins: readonly string[];
  /** Any port on localhost, 127.0.0.1 or [::1], http or https: the development default. */
  readonly loopback: boolean;
}

/**
 * CORS_ORIGINS: a comma-separated list of exact origins, or `none`. Unset: none in production, the
 * loopback origins otherwise. `*` is refused: the answers carry credentials (Authorization), and a
 * wildcard with credentials would let any page read them.
 */
export function readCorsPolicy(read: EnvReader, production: boolean): CorsPolicy {
  const raw = read.text('CORS_ORIGINS');
  if (raw === undefined) return { origins: [], loopback: !production };
  if (raw.toLowerCase() === 'none') return { origins: [], loopback: false };
  const origins: string[] = [];
  const problems = new Set<string>();
  for (const entry of raw.split(',').map((part) => part.trim())) {
    const problem = originProblem(entry);
    if (problem) problems.add(`CORS_ORIGINS: ${problem}`);
    else if (!origins.includes(entry)) origins.push(entry);
  }
  problems.forEach((problem) => read.problem(problem));
  return { origins, loopback: false };
}

/** Why `entry` is not an origin as a browser sends it in the Origin header, or undefined when it is one. */
function originProblem(entry: string): string | undefined {
  if (entry === '') return 'an empty entry (two commas, or a trailing comma)';
  if (entry === '*') return '"*" is not allowed (responses carry credentials); list the origins, or set none';
  let parsed: URL;
  try {
    parsed = new URL(entry);
  } catch {
    return `"${entry}" is not an origin: write scheme://host[:port], e.g. https://app.example.com`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `"${entry}" is not an http(s) origin`;
  // The Origin header is exactly URL.origin: lower-case host, no default port, no path, no trailing slash.
  if (parsed.origin !== entry) return `"${entry}" is not an origin (no path, query, user or trailing slash; lower case): write "${parsed.origin}"`;
  return undefined;
}
