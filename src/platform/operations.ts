/**
 * The operations surface of the platform host:
 * - `GET /health`: 200 `{"status":"UP"}` when every database this process has open in the data directory answers a
 *   query, else 503 `{"status":"DOWN"}`, each database's state listed;
 * - `GET /ready`: 503 until the databases are migrated and the first-start bootstrap has run (and again while the
 *   server shuts down), then 200: what a load balancer or orchestrator waits for;
 * - `GET /metrics`: the Prometheus text format (core/metrics.ts), summed over the workers with `--workers N`;
 * - `GET /openapi.json`: an OpenAPI 3 document generated from the route schemas by @fastify/swagger, every route of
 *   the route table in it;
 * - the route table itself (method, path pattern, public or the scope it needs), for tests that walk every route.
 * None of them needs a token; none shows tenant data.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { TokenVerifier } from '../core/auth.js';
import { databasesIn } from '../core/db.js';
import { counter, METRICS_CONTENT_TYPE, metricsText } from '../core/metrics.js';
import { VERSION } from '../core/version.js';

/** One entry of the route table: what the security suites (isolation matrix, fuzzing) and the docs tests walk. */
export interface RouteEntry {
  /** GET routes appear twice: as GET and as the HEAD fastify adds for them. */
  method: string;
  /** The path pattern as fastify knows it (`/api/assetmanagement/v3/assets/:id`). */
  url: string;
  /** No bearer token: marked public, or outside /api (the operations and sign-in endpoints). */
  public: boolean;
  /** The scope the route requires (core/auth); absent on public routes. */
  scope: string | undefined;
  schema: FastifySchema | undefined;
  /** The route's own body limit, when it sets one (else the host's). */
  bodyLimit: number | undefined;
}

export interface OperationsOptions {
  dataDir: string;
  /** True once migrations and the first-start bootstrap are done. */
  isReady(): boolean;
}

const tokenChecks = counter('ironbridge_token_checks_total', 'Bearer token verifications on /api requests, by outcome', ['outcome']);

/** The verifier of /api requests, counting each check as valid or rejected. */
export function countedVerifier(verifier: TokenVerifier): TokenVerifier {
  return {
    async verify(token) {
      try {
        const claims = await verifier.verify(token);
        tokenChecks.inc({ outcome: 'valid' });
        return claims;
      } catch (err) {
        tokenChecks.inc({ outcome: 'rejected' });
        throw err;
      }
    },
  };
}

/** Installs the route-table hook and @fastify/swagger (before any route is added) and the four routes; returns the table. */
export async function installOperations(app: FastifyInstance, options: OperationsOptions): Promise<readonly RouteEntry[]> {
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, public: route.config?.public === true || !route.url.startsWith('/api/'),
        scope: route.config?.scope, schema: route.schema, bodyLimit: route.bodyLimit });
    }
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Ironbridge', version: VERSION,
        description: 'The HTTP APIs of this Ironbridge server, generated from its route schemas.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: ({ schema, url, route }) => {
      const open = route.config?.public === true || !url.startsWith('/api/');
      const scope = route.config?.scope;
      const extra = open ? {} : { security: [{ bearer: [] }], ...(scope ? { 'x-scope': scope } : {}) };
      return { schema: { ...(schema ?? {}), ...extra } as typeof schema, url };
    },
  });

  // The databases the contexts opened before the host was built: each must stay open and answer.
  const expected = [...databasesIn(options.dataDir).keys()];
  app.get('/health', { logLevel: 'warn' }, async (_req, reply) => {
    const databases: Record<string, string> = {};
    let up = expected.length > 0;
    for (const name of expected) {
      const db = databasesIn(options.dataDir).get(name);
      try {
        if (!db?.open) throw new Error('closed');
        db.prepare('SELECT count(*) FROM sqlite_master').get();
        databases[name] = 'UP';
      } catch (err) {
        up = false;
        databases[name] = `DOWN: ${(err as Error).message}`;
      }
    }
    return reply.code(up ? 200 : 503).header('cache-control', 'no-store').send({ status: up ? 'UP' : 'DOWN', databases });
  });
  app.get('/ready', { logLevel: 'warn' }, async (_req, reply) => {
    const ready = options.isReady();
    return reply.code(ready ? 200 : 503).header('cache-control', 'no-store').send({ status: ready ? 'READY' : 'STARTING' });
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) =>
    reply.header('cache-control', 'no-store').type(METRICS_CONTENT_TYPE).send(await metricsText()));
  app.get('/openapi.json', async () => app.swagger());
  return routes;
}
