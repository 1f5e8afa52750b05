/**
 * `ironbridge dev-proxy`: a local origin for browser code and widgets ("Insights Hub IIoT for Makers", the API reverse proxy for browser code). Serves an optional static
 * folder and forwards `/api/...` to the platform through the SDK's API proxy with the token of the IRONBRIDGE_*
 * credentials, or with the caller's own Authorization when none are set. Plain http:// platforms work.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Command } from 'commander';
import { Authenticator, createApiProxy, ENV } from '@ironbridge/sdk';

export interface DevProxyOptions {
  port: string;
  host: string;
  target?: string;
  static?: string;
  cors: boolean;
  rewrite: boolean;
  rewriteOrigin?: string[];
  json?: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};

/** Serves files below `root`; a path that leaves it, or a missing file, is 404. */
function staticFiles(root: string): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const base = path.resolve(root);
  return (req, res) => {
    let rel: string;
    try {
      rel = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    let file = path.resolve(base, `.${rel}`);
    if (file !== base && !file.startsWith(base + path.sep)) {
      res.writeHead(404).end('not found');
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file) || !fs.statSync(file).isFile() || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  };
}

export async function startDevProxy(opts: DevProxyOptions, env: NodeJS.ProcessEnv = process.env): Promise<{ server: http.Server; url: string; target: string; mode: string }> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, got "${opts.port}"`);
  const auth = env[ENV.clientId] ? Authenticator.fromEnv({}, env) : undefined;
  const target = opts.target ?? env['IRONBRIDGE_API_URL'] ?? (auth ? new URL(auth.tokenUrl).origin : undefined);
  if (!target) throw new Error('--target is required (or IRONBRIDGE_API_URL, or IRONBRIDGE_TOKEN_URL whose origin is used)');
  if (opts.static && !fs.existsSync(opts.static)) throw new Error(`--static folder ${opts.static} does not exist`);
  const proxy = createApiProxy({ target, auth, cors: opts.cors, rewrite: opts.rewrite, rewriteOrigins: opts.rewriteOrigin });
  const files = opts.static ? staticFiles(opts.static) : undefined;
  const server = http.createServer((req, res) => proxy(req, res, () => {
    if (files) files(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this proxy forwards /api/... (use --static DIR to serve files)');
  }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, opts.host, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${bound}`;
  return { server, url, target, mode: auth ? 'credentials' : 'pass-through' };
}

export function registerDevProxy(program: Command): void {
  program.command('dev-proxy')
    .description('serve /api/... on a local origin, forwarded with a token, for browser code and widgets\n'
      + 'example: IRONBRIDGE_TOKEN_URL=http://localhost:8080/oauth/token IRONBRIDGE_CLIENT_ID=… IRONBRIDGE_CLIENT_SECRET=… ironbridge dev-proxy --port 7707 --static ./web')
    .option('--port <port>', 'local port (0 picks a free one)', '7707')
    .option('--host <host>', 'local bind address', '127.0.0.1')
    .option('--target <url>', 'platform URL, http or https (default IRONBRIDGE_API_URL, else the origin of IRONBRIDGE_TOKEN_URL)')
    .option('--static <dir>', 'also serve the files of this folder (e.g. a page that calls /api/...)')
    .option('--no-cors', 'do not answer CORS requests from other origins')
    .option('--no-rewrite', 'do not rewrite platform URLs in responses to the proxy origin')
    .option('--rewrite-origin <url...>', 'further platform origins to rewrite (e.g. its public URL)')
    .option('--json', 'print the listening address as JSON')
    .action(async (opts: DevProxyOptions) => {
      const { server, url, target, mode } = await startDevProxy(opts);
      process.stdout.write(opts.json ? `${JSON.stringify({ url, target, mode })}\n`
        : `ironbridge dev-proxy listening on ${url} → ${target} (${mode === 'credentials' ? 'token from IRONBRIDGE_* credentials' : 'pass-through: callers bring their own Authorization'})\n`);
      const stop = () => server.close(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
