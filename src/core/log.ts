/**
 * pino logger options shared by the server and the CLI: ISO-8601 times, secrets and credentials redacted, and one
 * format for log shippers (JSON lines) and one for people (pino-pretty, chosen on a terminal by `--log-format auto`);
 * and a synchronous flush for the progress lines of work that blocks the event loop.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat } from './config.js';

export function createLogger(level: string, destination?: pino.DestinationStream, format: LogFormat = 'json'): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'ironbridge' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-space-auth-key"]',
        'res.headers["set-cookie"]', 'clientSecret', 'password', 'client_secret', 'access_token',
        '*.clientSecret', '*.password', '*.client_secret', '*.access_token'],
      censor: '[redacted]',
    },
  };
  const readable = format === 'pretty' || (format === 'auto' && destination === undefined && Boolean(process.stdout.isTTY));
  if (!readable) return pino(options, destination);
  const colour = !process.env['NO_COLOR'] && (Boolean(process.stdout.isTTY) || Boolean(process.env['FORCE_COLOR']));
  return pino(options, pretty({ colorize: colour, sync: true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
    ignore: 'pid,hostname,service', singleLine: true, ...(destination ? { destination } : {}) }));
}

/**
 * Writes out now what a pino logger's asynchronous destination (sonic-boom, pino's default) still holds. Work that
 * blocks the event loop (the v4 conversion at open) calls it after each progress line, which would otherwise all
 * appear when the work ends. Does nothing for other loggers and destinations, or one not open yet.
 */
export function flushLogSync(logger: object | undefined): void {
  const stream = (logger as Record<symbol, unknown> | undefined)?.[pino.symbols.streamSym] as { flushSync?: () => void } | undefined;
  try {
    stream?.flushSync?.();
  } catch { /* not open yet, or closed: the line is written when the destination can */ }
}
