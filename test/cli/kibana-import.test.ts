import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

const SCRIPT = path.resolve(__dirname, '../../src/cli/kibana-import.js');
const NDJSON = readFileSync(path.resolve(__dirname, '../../../kibana/saved-objects.ndjson'), 'utf8');

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

// No Kibana can run here: a loopback HTTP server records what the command sends and answers as
// Kibana's import API documents it. The saved objects themselves are checked in the unit and trace tests.
describe('npm run kibana:import', () => {
  const received: Received[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: { success: true, successCount: 9 } };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  let kibanaUrl: string;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kibanaUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts kibana/saved-objects.ndjson as a multipart file to the saved objects import API, with kbn-xsrf and the API key', async () => {
    received.length = 0;
    answer = { status: 200, body: { success: true, successCount: 9 } };
    const result = await run({ KIBANA_URL: `${kibanaUrl}/`, KIBANA_API_KEY: 'key-123' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /imported 9 saved objects/);
    const [request] = received;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/api/saved_objects/_import?overwrite=true');
    assert.equal(request?.headers['kbn-xsrf'], 'true');
    assert.equal(request?.headers.authorization, 'ApiKey key-123');
    assert.match(String(request?.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.match(request?.body ?? '', /filename="saved-objects.ndjson"/);
    assert.ok(request?.body.includes(NDJSON.trim()), 'the whole NDJSON file is in the upload');
  });

  it('imports into KIBANA_SPACE with basic authentication', async () => {
    received.length = 0;
    const result = await run({ KIBANA_URL: kibanaUrl, KIBANA_USERNAME: 'elastic', KIBANA_PASSWORD: 'pw', KIBANA_SPACE: 'modeling' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(received[0]?.url, '/s/modeling/api/saved_objects/_import?overwrite=true');
    assert.equal(received[0]?.headers.authorization, `Basic ${Buffer.from('elastic:pw').toString('base64')}`);
  });

  it('exits 1 with Kibana’s errors when the import is refused, without printing the credentials', async () => {
    answer = { status: 200, body: { success: false, successCount: 0, errors: [{ id: 'aimodel-dashboard', error: { type: 'missing_references' } }] } };
    const result = await run({ KIBANA_URL: `http://user:secret-pw@127.0.0.1:${new URL(kibanaUrl).port}`, KIBANA_API_KEY: 'key-123' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /missing_references/);
    assert.doesNotMatch(result.stderr + result.stdout, /secret-pw|key-123/);
  });

  it('exits 2 and says what to set when KIBANA_URL is missing', async () => {
    const result = await run({});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /KIBANA_URL is not set/);
  });
});
