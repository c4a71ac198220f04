import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { SocketSessions } from '../../../src/auth/socket-sessions';
import type { Identity } from '../../../src/auth/roles';

const key = (keyId: string): Identity => ({ subject: `api-key:${keyId}`, role: 'viewer', method: 'api-key', keyId });
const DAY_MS = 86_400_000;

describe('SocketSessions', () => {
  it('revoking a key ends each socket opened with it once, and no socket of another key; a released socket is not ended', () => {
    const sessions = new SocketSessions();
    const ended: string[] = [];
    sessions.open(key('a'), () => ended.push('a1'));
    sessions.open(key('a'), () => ended.push('a2'));
    const release = sessions.open(key('a'), () => ended.push('a3'));
    sessions.open(key('b'), () => ended.push('b1'));
    release();
    assert.equal(sessions.revokeApiKey('a'), 2);
    assert.deepEqual(ended, ['a1', 'a2']);
    assert.equal(sessions.revokeApiKey('a'), 0, 'each socket is ended once');
    assert.deepEqual(ended, ['a1', 'a2']);
  });

  it('a token’s socket ends when the token expires, even 30 days ahead (beyond setTimeout’s longest delay), and not before', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const sessions = new SocketSessions();
      let ended = 0;
      sessions.open({ subject: 'jwt:alice', role: 'viewer', method: 'jwt', expiresAt: new Date(30 * DAY_MS) }, () => ended++);
      mock.timers.tick(29 * DAY_MS);
      assert.equal(ended, 0);
      mock.timers.tick(DAY_MS - 1);
      assert.equal(ended, 0);
      mock.timers.tick(1);
      assert.equal(ended, 1);
    } finally {
      mock.timers.reset();
    }
  });

  it('releasing a token’s socket cancels its expiry', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      let ended = 0;
      const release = new SocketSessions().open({ subject: 'jwt:bob', role: 'viewer', method: 'jwt', expiresAt: new Date(1_000) }, () => ended++);
      release();
      mock.timers.tick(2_000);
      assert.equal(ended, 0);
    } finally {
      mock.timers.reset();
    }
  });
});
