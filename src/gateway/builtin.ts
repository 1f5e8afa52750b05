/**
 * The platform's standard web apps (Launchpad, Asset Manager, Explorer, Data Lake Manager, Catalog, Service
 * Management, Agents: the "standard IoT applications" of Insights Hub) as a built-in target of every tenant: a web
 * app host `{tenant}-{app}` with no registration of that name is
 * answered from the Vite build in web/dist, behind the same sign-in, CSRF and CSP rules as registered apps (Industrial IoT Gateway docs
 * "Security"). Only files of the build are served (a manifest of web/dist, re-read when an asset is missed, so no
 * request path reaches the file system); hashed assets are cached for a year, an unknown asset is 404, every other
 * path gets its app's index.html (client-side routing).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Generic } from '../core/errors.js';
import { GatewayErrors } from './errors.js';
import { clientResponseHeaders, type WebAppRules } from './headers.js';

/** The built-in apps by host name, in Launchpad order. */
export const BUILTIN_APPS = ['launchpad', 'assetmanager', 'explorer', 'datalake', 'catalog', 'servicemanagement', 'agents'] as const;

export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json',
  '.woff2': 'font/woff2', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
};
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Entry { file: string; type: string }

export class BuiltinApps {
  private manifest: Map<string, Entry> | undefined;

  constructor(private readonly dir: string = WEB_DIST) {}

  has(app: string, provider: string | undefined): boolean {
    return provider === undefined && (BUILTIN_APPS as readonly string[]).includes(app);
  }

  /** URL path → file of the build, read on first use. */
  private files(): Map<string, Entry> {
    if (this.manifest) return this.manifest;
    if (!fs.existsSync(path.join(this.dir, 'launchpad', 'index.html'))) throw GatewayErrors.webUiMissing({ dir: this.dir });
    const out = new Map<string, Entry>();
    const walk = (dir: string, prefix: string) => {
      for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, d.name);
        if (d.isDirectory()) walk(file, `${prefix}/${d.name}`);
        else out.set(`${prefix}/${d.name}`, { file, type: TYPES[path.extname(d.name)] ?? 'application/octet-stream' });
      }
    };
    walk(this.dir, '');
    this.manifest = out;
    return out;
  }

  serve(req: IncomingMessage, res: ServerResponse, app: string, pathname: string, rules: WebAppRules): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw Generic.methodNotAllowed({ method: req.method ?? '', path: pathname });
    let asset: Entry | undefined;
    if (pathname.startsWith('/assets/')) {
      // a miss re-reads the build once: `npm run build` while the server runs makes new hashed names
      asset = this.files().get(pathname);
      if (!asset) {
        this.manifest = undefined;
        asset = this.files().get(pathname);
      }
      if (!asset) throw GatewayErrors.noEndpoint({ path: pathname, app });
    }
    const entry = asset ?? this.files().get(`/${app}/index.html`);
    if (!entry) throw GatewayErrors.noEndpoint({ path: pathname, app });
    const body = fs.readFileSync(entry.file);
    const headers: Record<string, string> = { 'content-type': entry.type, 'content-length': String(body.length) };
    if (asset) headers['cache-control'] = IMMUTABLE;
    res.writeHead(200, clientResponseHeaders(headers, rules));
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
