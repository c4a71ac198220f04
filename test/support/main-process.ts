import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { print, type FormattedExecutionResult } from 'graphql';
import type { TestServer } from './app-harness';

const MAIN = path.resolve(__dirname, '../../src/main.js');
const APIKEY_CLI = path.resolve(__dirname, '../../src/cli/apikey.js');

/** Creates an admin key with `npm run apikey` (the command itself) against the same database. */
export function createAdminKey(env: Record<string, string>): string {
  const { UV_THREADPOOL_SIZE: _inherited, ...parentEnv } = process.env;
  const result = spawnSync(process.execPath, [APIKEY_CLI, 'create', '--name', 'test admin', '--role', 'admin'], {
    env: { ...parentEnv, ...env },
    encoding: 'utf8',
  });
  const key = result.stdout.split('\n').find((line) => line.startsWith('aim_'));
  if (result.status !== 0 || !key) throw new Error(`npm run apikey create failed (${result.status}): ${result.stderr}`);
  return key;
}

/** The server as `npm start` runs it (dist/src/main.js), in its own process. */
export interface MainProcess extends Pick<TestServer, 'graphql'> {
  readonly child: ChildProcess;
  readonly url: string;
  /** Its log lines, parsed. */
  readonly lines: Record<string, unknown>[];
  /** What it wrote to stderr so far (its log lines go to stdout). */
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts dist/src/main.js with `env` on top of this environment and waits for its "server listening" line. */
export function startMain(env: Record<string, string>): Promise<MainProcess> {
  // Requests go as an admin, with a key made by the apikey command before the server starts.
  const adminKey = createAdminKey(env);
  return launchMain(env, () => adminKey);
}

/**
 * startMain without making a key first, so that a fresh database is first prepared by the server
 * itself (the apikey command migrates too): requests send `adminKey()`, e.g. a key made once the
 * server is ready.
 */
export function launchMain(env: Record<string, string>, adminKey: () => string): Promise<MainProcess> {
  // The child sizes its own libuv pool; an inherited UV_THREADPOOL_SIZE would override that.
  const { UV_THREADPOOL_SIZE: _inherited, ...parentEnv } = process.env;
  const child = spawn(process.execPath, [MAIN], { env: { ...parentEnv, PORT: '0', HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind the failure.
      child.kill('SIGKILL');
      reject(new Error(`no "server listening" line within 60 s: ${JSON.stringify(lines)} ${stderr}`));
    }, 60_000);
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        lines.push(line);
        if (line.msg === 'server listening') {
          clearTimeout(timer);
          const url = `http://127.0.0.1:${new URL(String(line.url)).port}`;
          resolve({
            child,
            url,
            lines,
            exited,
            stderr: () => stderr,
            async graphql(document, variables, headers = {}) {
              const response = await fetch(`${url}/graphql`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey()}`, ...headers },
                body: JSON.stringify({ query: print(document), variables }),
              });
              return (await response.json()) as FormattedExecutionResult<never>;
            },
          });
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
}
