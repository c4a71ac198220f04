import { ecsFormat } from '@elastic/ecs-pino-format';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The one root logger. Secrets are redacted by path wherever they might be logged by accident; the
 * connection string is never logged at all (config carries a redacted copy for that).
 */
export function createLogger(level: string, destination?: pino.DestinationStream, format: 'json' | 'ecs' = 'json'): Logger {
  return pino(
    {
      // ECS lines (@timestamp, log.level, message, service.name …) for Filebeat or Elastic Agent.
      ...(format === 'ecs' ? ecsFormat({ serviceName: 'ai-modeling-api' }) : {}),
      level,
      // In ECS, `service` is an object (service.name comes from ecsFormat): no plain string beside it.
      base: format === 'ecs' ? {} : { service: 'ai-modeling-api' },
      redact: {
        paths: ['connectionString', '*.connectionString', 'password', '*.password', 'req.headers.authorization', 'req.headers.cookie', 'headers.authorization'],
        censor: '*****',
      },
      ...(format === 'ecs' ? {} : { timestamp: pino.stdTimeFunctions.isoTime }),
    },
    destination,
  );
}
