import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/logging/logger';
import { ECS_VERSION } from '../../../src/telemetry/trace-document';

function capture(format: 'json' | 'ecs'): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', sink, format) };
}

describe('the logger', () => {
  it('with LOG_FORMAT=ecs writes ECS lines: @timestamp, log.level, message, ecs.version, service.name', () => {
    const { lines, logger } = capture('ecs');
    logger.info({ runId: 'r1' }, 'model run succeeded');
    const [line] = lines;
    assert.equal(line?.['log.level'], 'info');
    assert.equal(line?.message, 'model run succeeded');
    assert.equal(line?.['service.name'], 'ai-modeling-api');
    // The same ECS version as the trace documents, so one Kibana reads both alike.
    assert.equal(line?.['ecs.version'], ECS_VERSION);
    assert.match(String(line?.['@timestamp']), /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(line?.service, undefined, 'no plain-string service field beside ECS service.name');
  });

  it('redacts secrets by path in both formats', () => {
    for (const format of ['json', 'ecs'] as const) {
      const { lines, logger } = capture(format);
      logger.info({ connectionString: 'Driver={X};PWD=hunter2', password: 'hunter2', headers: { authorization: 'Bearer hunter2' } }, 'connecting');
      assert.doesNotMatch(JSON.stringify(lines), /hunter2/, format);
    }
  });
});
