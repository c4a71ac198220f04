import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { DatabaseBootstrap } from '../../../src/app/bootstrap';
import type { Config } from '../../../src/config/config';
import type { Datastore } from '../../../src/datastore/datastore';
import { AppError } from '../../../src/errors/app-error';
import { createLogger } from '../../../src/logging/logger';

interface Line {
  level: number;
  msg: string;
  code?: string;
}

describe('DatabaseBootstrap and a version query the database refuses', () => {
  it('a refusal met at every attempt is logged once, at warn, without the driver’s words; the bootstrap finishes with the version unknown', async () => {
    const lines: Line[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk)) as Line), done()) }));
    let attempts = 0;
    // The first attempt loses its connection right after the refusal, so the bootstrap asks twice.
    const datastore = {
      dialect: { variant: 'tibero' },
      detectServer(onRefused?: (refusal: AppError) => void): Promise<string> {
        attempts += 1;
        onRefused?.(new AppError('DB_ERROR', 'tibero error [42S02/-7]: Specified schema object was not found: V$VERSION'));
        return attempts === 1 ? Promise.reject(new AppError('DB_UNAVAILABLE', 'the connection was lost')) : Promise.resolve('unknown');
      },
    } as unknown as Datastore;
    const config = { database: { migrate: false }, demoDatasets: false } as unknown as Config;
    const bootstrap = new DatabaseBootstrap(datastore, config, logger, 1);
    await bootstrap.start();
    await bootstrap.whenReady();
    bootstrap.stop();

    assert.equal(attempts, 2);
    assert.deepEqual({ done: bootstrap.current().done, serverVersion: bootstrap.current().serverVersion }, { done: true, serverVersion: 'unknown' });
    const refusals = lines.filter((line) => line.msg.startsWith('the database refused the server version query'));
    assert.deepEqual(
      refusals.map((line) => [line.level, line.code]),
      [[40, 'DB_ERROR']],
    );
    assert.ok(!JSON.stringify(lines).includes('Specified schema object'), 'the driver’s words only at debug');
  });
});
