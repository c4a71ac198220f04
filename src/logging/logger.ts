import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The one root logger. Secrets are redacted by path wherever they might be logged by accident; the
 * connection string is never logged at all (config carries a redacted copy for that).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ai-modeling-api' },
      redact: {
        paths: [
          'connectionString',
          '*.connectionString',
          'password',
          '*.password',
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
        ],
        censor: '*****',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
