/**
 * `npm start` is what Docker and systemd run, and they stop it with SIGTERM (Ctrl-C sends SIGINT):
 * the signal sent to the npm process must reach the server, which shuts down cleanly — not leave
 * `node dist/src/main.js` orphaned and still serving.
 *
 * The real `npm start` (scripts/setup.sh, then scripts/start.sh) runs in this checkout with a data
 * folder and a port of the test's own. Its build step must write nothing (tsc --incremental with
 * nothing changed), since the other test files run from dist/ meanwhile.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pollUntil } from '../support/runs';

const ROOT = path.resolve(__dirname, '../../..');

interface NpmStart {
  readonly npm: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly port: number;
  /** The process running dist/src/main.js. */
  readonly serverPid: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids below `pid` (Linux /proc), depth first. */
function descendants(pid: number): number[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Runs `npm start` and waits until it serves /healthz. */
async function npmStart(): Promise<NpmStart> {
  const { UV_THREADPOOL_SIZE: _inherited, ...parentEnv } = process.env;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-npm-start-'));
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...parentEnv, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let output = '';
  let buffer = '';
  npm.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    buffer += chunk.toString();
    for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        // setup's own "==> …" lines
      }
    }
  });
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  const listening = await pollUntil(
    () => Promise.resolve(lines.find((line) => line.msg === 'server listening') ?? (gone ? 'exited' : undefined)),
    (line) => line !== undefined,
    'npm start serving (setup, an up-to-date build, then the server)',
    240_000,
    100,
  );
  assert.notEqual(listening, 'exited', `npm start exited before serving:\n${output}`);
  const port = Number(new URL(String((listening as Record<string, unknown>).url)).port);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(health.status, 200);
  const serverPid = descendants(npm.pid!).find((pid) => commandLine(pid).includes('dist/src/main.js'));
  assert.ok(
    serverPid,
    `no dist/src/main.js below npm (${npm.pid}): ${descendants(npm.pid!)
      .map((pid) => `${pid} ${commandLine(pid)}`)
      .join('; ')}`,
  );
  return { npm, lines, exited, port, serverPid };
}

describe('npm start passes SIGTERM and SIGINT on to the server', () => {
  const started: NpmStart[] = [];

  after(() => {
    // A server left running (the signal never reached it) is stopped here, by its own pid.
    for (const { npm, serverPid } of started) {
      if (alive(serverPid)) process.kill(serverPid, 'SIGKILL');
      if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the npm process: the server logs its shutdown, its process ends, its port closes, and npm exits`, async () => {
      const run = await npmStart();
      started.push(run);
      assert.ok(alive(run.serverPid));
      process.kill(run.npm.pid!, signal);

      // Bounds against hanging, not timing assertions: the server's own shutdown allows 30 s.
      const exit = await pollUntil(
        () => Promise.resolve(run.npm.exitCode ?? run.npm.signalCode),
        (value) => value !== null,
        `npm exiting after ${signal}`,
        60_000,
      );
      await pollUntil(
        () => Promise.resolve(alive(run.serverPid)),
        (running) => !running,
        `the server process ${run.serverPid} ending after ${signal} to npm`,
        60_000,
      );
      assert.equal(await portRefuses(run.port), true, `port ${run.port} closed`);
      const shutdown = run.lines.find((line) => line.msg === 'shutting down');
      assert.ok(shutdown, `the server logged its shutdown: ${JSON.stringify(run.lines.slice(-5))}`);
      assert.equal(shutdown.signal, signal);
      assert.equal(exit, 0, 'npm reports the server’s clean exit');
    });
  }
});
