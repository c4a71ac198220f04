import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

// Debian's chromium (scripts/setup-system.sh --test installs it).
const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium; --no-sandbox because the tests may run as root (CI containers). */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
}

/** Where a test keeps what it wants a person to look at (screenshots): `.test-output/<name>/`, gitignored. */
export function testOutputDirectory(name: string): string {
  const directory = path.resolve('.test-output', name);
  mkdirSync(directory, { recursive: true });
  return directory;
}

/** A page server on its own loopback port (so its pages are another origin than the API's), serving `html` at /. */
export async function servePage(html: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
