/**
 * Asset Management v3 HTTP surface (`/api/assetmanagement/v3`, Asset Management API v3): reads the query, headers and
 * body, calls the service, renders. JSON and merge-patch bodies (an empty body reads as none, as the SDK sends
 * on PUT /model/lock); ETag headers and If-None-Match → 304 on single-resource reads.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principal } from '../core/auth.js';
import { Generic } from '../core/errors.js';
import { jsonBodyParser } from '../core/json.js';
import { SCOPES } from '../core/scopes.js';
import { halPage, renderAspectType, renderAsset, renderAssetAspect, renderAssetType, renderAssetVariable } from './render.js';
import type { AssetView } from './records.js';
import { parseEtag, type AssetService, type Caller, type ListQuery, type Preconditions } from './service.js';

export const BASE_PATH = '/api/assetmanagement/v3';

type Query = Record<string, string | string[] | undefined>;

const one = (q: Query, name: string): string | undefined => {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
};

function intParam(q: Query, name: string): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,10}$/.test(v)) throw Generic.invalidParameter({ name, rule: 'must be a whole number' });
  return Number(v);
}

function boolParam(q: Query, name: string): boolean {
  const v = one(q, name);
  if (v === undefined || v === '') return false;
  if (v !== 'true' && v !== 'false') throw Generic.invalidParameter({ name, rule: 'must be true or false' });
  return v === 'true';
}

const listQuery = (req: FastifyRequest): ListQuery => {
  const q = req.query as Query;
  return { page: intParam(q, 'page'), size: intParam(q, 'size'), sort: q['sort'], filter: one(q, 'filter') };
};

const pre = (req: FastifyRequest): Preconditions => ({
  ifMatch: req.headers['if-match'], ifNoneMatch: req.headers['if-none-match'],
});

const caller = (req: FastifyRequest): Caller => {
  const p = principal(req);
  return { tenant: p.tenant, admin: p.scopes.has(SCOPES.assetDelete) };
};

const baseUrl = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? 'localhost'}${BASE_PATH}`;
const requestUrl = (req: FastifyRequest) => new URL(req.url, `${req.protocol}://${req.headers.host ?? 'localhost'}`);

/** Sets the ETag header; answers 304 when If-None-Match names the current etag. */
function withEtag<T>(req: FastifyRequest, reply: FastifyReply, etag: number, body: () => T): T | FastifyReply {
  reply.header('etag', `"${etag}"`);
  const inm = req.headers['if-none-match'];
  if (req.method === 'GET' && inm) {
    // a tag that is not one of our integer etags simply does not match
    const matches = (t: string) => { try { return parseEtag(t, 'If-None-Match') === etag; } catch { return false; } };
    if (inm.split(',').map((t) => t.trim()).some((t) => t === '*' || matches(t))) return reply.code(304).send();
  }
  return body();
}

export async function assetRoutes(root: FastifyInstance, service: AssetService): Promise<void> {
  await root.register(async (app) => {
    app.removeContentTypeParser(['application/json']);
    app.addContentTypeParser(['application/json', 'application/merge-patch+json'], { parseAs: 'string' },
      jsonBodyParser((reason) => Generic.malformedBody({ reason })));

    const R = { config: { scope: SCOPES.assetRead } };
    const W = { config: { scope: SCOPES.assetWrite } };
    const D = { config: { scope: SCOPES.assetDelete } };

    const sendAsset = (req: FastifyRequest, reply: FastifyReply, v: AssetView, status = 200) => {
      reply.code(status);
      return withEtag(req, reply, v.record.etag, () => renderAsset(v, baseUrl(req)));
    };

    app.get(BASE_PATH, R, async (req) => {
      const b = baseUrl(req);
      return {
        _links: {
          self: { href: `${b}/` }, aspectTypes: { href: `${b}/aspecttypes` }, assetTypes: { href: `${b}/assettypes` },
          assets: { href: `${b}/assets` }, files: { href: `${b}/files` },
        },
        self: { href: `${b}/` }, aspectTypes: { href: `${b}/aspecttypes` }, assetTypes: { href: `${b}/assettypes` },
        assets: { href: `${b}/assets` }, files: { href: `${b}/files` },
      };
    });

    // ------------------------------------------------------------ aspect types
    app.get(`${BASE_PATH}/aspecttypes`, R, async (req) => {
      const page = await service.listAspectTypes(principal(req).tenant, listQuery(req));
      return halPage(page, 'aspectTypes', page.items.map((t) => renderAspectType(t, baseUrl(req))), requestUrl(req));
    });
    app.get<{ Params: { id: string } }>(`${BASE_PATH}/aspecttypes/:id`, R, async (req, reply) => {
      const t = await service.getAspectType(principal(req).tenant, req.params.id);
      return withEtag(req, reply, t.etag, () => renderAspectType(t, baseUrl(req)));
    });
    app.put<{ Params: { id: string } }>(`${BASE_PATH}/aspecttypes/:id`, W, async (req, reply) => {
      const { record, created } = await service.putAspectType(principal(req).tenant, req.params.id, req.body, pre(req));
      reply.code(created ? 201 : 200).header('etag', `"${record.etag}"`);
      return renderAspectType(record, baseUrl(req));
    });
    app.patch<{ Params: { id: string } }>(`${BASE_PATH}/aspecttypes/:id`, W, async (req, reply) => {
      const record = await service.patchAspectType(principal(req).tenant, req.params.id, req.body, pre(req));
      reply.header('etag', `"${record.etag}"`);
      return renderAspectType(record, baseUrl(req));
    });
    app.delete<{ Params: { id: string } }>(`${BASE_PATH}/aspecttypes/:id`, D, async (req, reply) => {
      await service.deleteAspectType(principal(req).tenant, req.params.id, pre(req));
      return reply.code(204).send();
    });

    // ------------------------------------------------------------ asset types
    app.get(`${BASE_PATH}/assettypes`, R, async (req) => {
      const exploded = boolParam(req.query as Query, 'exploded');
      const page = await service.listAssetTypes(principal(req).tenant, listQuery(req), exploded);
      return halPage(page, 'assetTypes', page.items.map((v) => renderAssetType(v, baseUrl(req))), requestUrl(req));
    });
    app.get<{ Params: { id: string } }>(`${BASE_PATH}/assettypes/:id`, R, async (req, reply) => {
      const exploded = boolParam(req.query as Query, 'exploded');
      const view = await service.getAssetType(principal(req).tenant, req.params.id, exploded);
      const body = () => renderAssetType(view, baseUrl(req));
      // the exploded view also changes with the ancestors, which the type's etag does not follow: never 304
      if (exploded) return reply.header('etag', `"${view.type.etag}"`).send(body());
      return withEtag(req, reply, view.type.etag, body);
    });
    app.put<{ Params: { id: string } }>(`${BASE_PATH}/assettypes/:id`, W, async (req, reply) => {
      const exploded = boolParam(req.query as Query, 'exploded');
      const { record, created } = await service.putAssetType(principal(req).tenant, req.params.id, req.body, pre(req), exploded);
      reply.code(created ? 201 : 200).header('etag', `"${record.type.etag}"`);
      return renderAssetType(record, baseUrl(req));
    });
    app.patch<{ Params: { id: string } }>(`${BASE_PATH}/assettypes/:id`, W, async (req, reply) => {
      const exploded = boolParam(req.query as Query, 'exploded');
      const view = await service.patchAssetType(principal(req).tenant, req.params.id, req.body, pre(req), exploded);
      reply.header('etag', `"${view.type.etag}"`);
      return renderAssetType(view, baseUrl(req));
    });
    app.delete<{ Params: { id: string } }>(`${BASE_PATH}/assettypes/:id`, D, async (req, reply) => {
      await service.deleteAssetType(principal(req).tenant, req.params.id, pre(req));
      return reply.code(204).send();
    });

    app.patch<{ Params: { id: string } }>(`${BASE_PATH}/assettypes/:id/variables`, W, async (req, reply) => {
      const view = await service.patchTypeVariables(principal(req).tenant, req.params.id, req.body, pre(req));
      reply.header('etag', `"${view.type.etag}"`);
      return renderAssetType(view, baseUrl(req));
    });
    app.put<{ Params: { id: string; key: string } }>(`${BASE_PATH}/assettypes/:id/fileAssignments/:key`, W, async (req, reply) => {
      const view = await service.putTypeFileAssignment(principal(req).tenant, req.params.id, req.params.key, req.body, pre(req));
      reply.header('etag', `"${view.type.etag}"`);
      return renderAssetType(view, baseUrl(req));
    });
    app.delete<{ Params: { id: string; key: string } }>(`${BASE_PATH}/assettypes/:id/fileAssignments/:key`, W, async (req, reply) => {
      await service.deleteTypeFileAssignment(principal(req).tenant, req.params.id, req.params.key, pre(req));
      return reply.code(204).send();
    });

    // ------------------------------------------------------------ assets
    app.get(`${BASE_PATH}/assets`, R, async (req) => {
      const page = await service.listAssets(caller(req), listQuery(req));
      return halPage(page, 'assets', page.items.map((v) => renderAsset(v, baseUrl(req))), requestUrl(req));
    });
    app.post(`${BASE_PATH}/assets`, W, async (req, reply) => sendAsset(req, reply, await service.createAsset(caller(req), req.body), 201));
    app.get(`${BASE_PATH}/assets/root`, R, async (req, reply) => sendAsset(req, reply, await service.root(principal(req).tenant)));
    app.get<{ Params: { id: string } }>(`${BASE_PATH}/assets/:id`, R, async (req, reply) =>
      sendAsset(req, reply, await service.getAsset(caller(req), req.params.id)));
    app.put<{ Params: { id: string } }>(`${BASE_PATH}/assets/:id`, W, async (req, reply) =>
      sendAsset(req, reply, await service.updateAsset(caller(req), req.params.id, req.body, pre(req))));
    app.patch<{ Params: { id: string } }>(`${BASE_PATH}/assets/:id`, W, async (req, reply) =>
      sendAsset(req, reply, await service.patchAsset(caller(req), req.params.id, req.body, pre(req))));
    app.delete<{ Params: { id: string } }>(`${BASE_PATH}/assets/:id`, D, async (req, reply) => {
      await service.deleteAsset(caller(req), req.params.id, pre(req));
      return reply.code(204).send();
    });
    // The SDK's MoveAsset posts to /assets/{id} without the /move suffix (the public MindConnect Node.js SDK (AssetManagementClient)).
    for (const path of [`${BASE_PATH}/assets/:id/move`, `${BASE_PATH}/assets/:id`]) {
      app.post<{ Params: { id: string } }>(path, W, async (req, reply) =>
        sendAsset(req, reply, await service.moveAsset(caller(req), req.params.id, req.body, pre(req))));
    }
    app.put<{ Params: { id: string } }>(`${BASE_PATH}/assets/:id/location`, W, async (req, reply) =>
      sendAsset(req, reply, await service.setLocation(caller(req), req.params.id, req.body, pre(req))));
    app.delete<{ Params: { id: string } }>(`${BASE_PATH}/assets/:id/location`, W, async (req, reply) =>
      sendAsset(req, reply, await service.deleteLocation(caller(req), req.params.id, pre(req))));
    app.put<{ Params: { id: string; key: string } }>(`${BASE_PATH}/assets/:id/fileAssignments/:key`, W, async (req, reply) =>
      sendAsset(req, reply, await service.putAssetFileAssignment(caller(req), req.params.id, req.params.key, req.body, pre(req))));
    app.delete<{ Params: { id: string; key: string } }>(`${BASE_PATH}/assets/:id/fileAssignments/:key`, W, async (req, reply) =>
      sendAsset(req, reply, await service.deleteAssetFileAssignment(caller(req), req.params.id, req.params.key, pre(req))));
    app.get<{ Params: { id: string } }>(`${BASE_PATH}/assets/:id/aspects`, R, async (req) => {
      const { asset, page } = await service.aspectsOf(caller(req), req.params.id, listQuery(req));
      return halPage(page, 'aspects', page.items.map((m) => renderAssetAspect(asset.assetId, m, baseUrl(req))), requestUrl(req));
    });
    app.get<{ Params: { id: string } }>(`${BASE_PATH}/assets/:id/variables`, R, async (req) => {
      const page = await service.variablesOf(caller(req), req.params.id, listQuery(req));
      return halPage(page, 'variables', page.items.map((m) => renderAssetVariable(m, baseUrl(req))), requestUrl(req));
    });

    // ------------------------------------------------------------ model lock
    app.get(`${BASE_PATH}/model/lock`, R, async (req) => ({ enabled: await service.getModelLock(principal(req).tenant) }));
    app.put(`${BASE_PATH}/model/lock`, W, async (req) => {
      const v = one(req.query as Query, 'enabled');
      if (v === undefined) throw Generic.missingParameter({ name: 'enabled' });
      if (v !== 'true' && v !== 'false') throw Generic.invalidParameter({ name: 'enabled', rule: 'must be true or false' });
      return { enabled: await service.setModelLock(principal(req).tenant, v === 'true') };
    });
  });
}
