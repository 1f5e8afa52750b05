/** pino logger options shared by the server and the CLI; secrets and credentials never reach a log line. */
import pino, { type Logger } from 'pino';

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ironbridge' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-space-auth-key"]',
          'res.headers["set-cookie"]', '*.clientSecret', '*.password', '*.client_secret', '*.access_token'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
