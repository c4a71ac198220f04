import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const MAIN = path.resolve(__dirname, '../../src/main.js');

interface Started {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
}

/** Starts dist/src/main.js as `npm start` does and waits for its "server listening" line. */
function startMain(env: Record<string, string>): Promise<Started> {
  const { UV_THREADPOOL_SIZE: _inherited, ...parentEnv } = process.env;
  const child = spawn(process.execPath, [MAIN], { env: { ...parentEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "server listening" line within 60 s: ${JSON.stringify(lines)}`)), 60_000);
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        if (line.msg === 'server listening') {
          clearTimeout(timer);
          resolve({ child, url: String(line.url), lines });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening`));
    });
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the server process (dist/src/main.js)', () => {
  it('starts on the embedded default, sizes the libuv thread pool from the pool, serves, and exits 0 on SIGTERM', async () => {
    const { child, url, lines } = await startMain({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aimodel-main-')),
      DB_POOL_MAX: '6',
    });
    try {
      const listening = lines.find((line) => line.msg === 'server listening');
      assert.equal(listening?.threadPool, '10');
      assert.doesNotMatch(String(listening?.database), /Pwd=/i);
      const port = new URL(url).port;
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ datasets { name rowCount } }' }),
      });
      assert.deepEqual(await response.json(), {
        data: {
          datasets: [
            { name: 'iris', rowCount: 150 },
            { name: 'station_readings', rowCount: 20_000 },
          ],
        },
      });
    } finally {
      const exited = exitCode(child);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });

  it('refuses to start on invalid configuration, listing every problem, with exit code 1', async () => {
    const { UV_THREADPOOL_SIZE: _inherited, ...parentEnv } = process.env;
    const child = spawn(process.execPath, [MAIN], {
      env: { ...parentEnv, PORT: 'abc', DB_DIALECT: 'db2', DB_POOL_MAX: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    assert.equal(await exitCode(child), 1);
    assert.match(stderr, /^CONFIG_INVALID: /);
    assert.match(stderr, /PORT must be an integer/);
    assert.match(stderr, /DB_DIALECT must be one of sqlite, postgresql, mysql, oracle, tibero/);
    assert.match(stderr, /DB_POOL_MAX must be an integer from 1 to 128/);
  });
});
