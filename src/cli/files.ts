/**
 * `ironbridge files upload|download|list|rm|meta|tag`: the Integrated Data Lake over HTTP with the IRONBRIDGE_*
 * binding-key variables. Uploads stream from disk (one request up to --part-size, a multipart upload beyond, which
 * resumes after an interruption from a state file beside the source); downloads stream into a temporary file
 * renamed when complete. Progress bars appear on a terminal only.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { Authenticator, errorFromResponse, IronbridgeClient } from '@ironbridge/sdk';
import { CREDENTIALS } from './data.js';
import { bold, printJson, Progress, urlOption } from './output.js';

const DL = '/api/datalake/v3';
const MB = 1024 * 1024;

interface Opts {
  url?: string;
  json?: boolean;
  subtenant?: string;
}

interface Lake {
  client: IronbridgeClient;
  auth: Authenticator;
}

function lakeOf(opts: Opts): Lake {
  const auth = Authenticator.fromEnv();
  const baseUrl = opts.url ?? process.env['IRONBRIDGE_API_URL'] ?? new URL(auth.tokenUrl).origin;
  return { auth, client: new IronbridgeClient({ baseUrl, auth }) };
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');
const sub = (opts: Opts) => (opts.subtenant ? { subtenantId: opts.subtenant } : {});

/** Counts bytes as they pass, for the progress bar. */
const counter = (onBytes: (n: number) => void) => new Transform({
  transform(chunk: Buffer, _e, done) { onBytes(chunk.length); done(null, chunk); },
});

/** PUTs a file range as the request body (streamed, with back-pressure); resolves with the JSON answer. */
async function putRange(lake: Lake, target: string, file: string, start: number, end: number, onBytes: (n: number) => void): Promise<unknown> {
  const url = new URL(lake.client.api.url(target));
  const token = await lake.auth.getAccessToken();
  const length = end - start;
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': length, accept: 'application/json' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) reject(errorFromResponse(res.statusCode ?? 0, text, 'PUT', url.toString()));
        else resolve(text ? JSON.parse(text) : undefined);
      });
    });
    req.on('error', reject);
    const source = length === 0 ? fs.createReadStream(file, { start: 0, end: -1 }) : fs.createReadStream(file, { start, end: end - 1, highWaterMark: MB });
    pipeline(source, counter(onBytes), req).catch(reject);
  });
}

interface UploadState { uploadId: string; path: string; size: number; mtimeMs: number; partBytes: number }

async function upload(lake: Lake, file: string, target: string, opts: Opts & { partSize: string }) {
  const st = await fsp.stat(file);
  const partBytes = Number(opts.partSize) * MB;
  if (!Number.isFinite(partBytes) || partBytes < 5 * MB || partBytes > 100 * MB) throw new Error('--part-size must be 5..100 (MB)');
  const progress = new Progress(`uploading ${path.basename(file)}`, st.size, opts.json);
  let sent = 0;
  const tick = (n: number) => progress.update((sent += n));
  const q = opts.subtenant ? `?subtenantId=${encodeURIComponent(opts.subtenant)}` : '';
  if (st.size <= partBytes) {
    const meta = await putRange(lake, `${DL}/objects/${encodePath(target)}${q}`, file, 0, st.size, tick);
    progress.finish();
    return meta;
  }
  const stateFile = `${file}.ironbridge-upload.json`;
  let state: UploadState | undefined;
  try {
    state = JSON.parse(await fsp.readFile(stateFile, 'utf8')) as UploadState;
    if (state.path !== target || state.size !== st.size || state.mtimeMs !== st.mtimeMs || state.partBytes !== partBytes) state = undefined;
  } catch { state = undefined; }
  let done = new Set<number>();
  if (state) {
    try {
      const status = await lake.client.api.json<{ parts: Array<{ partNumber: number; size: number }> }>('GET', `${DL}/multipart/${state.uploadId}${q}`);
      done = new Set(status.parts.filter((p) => p.size === Math.min(partBytes, st.size - (p.partNumber - 1) * partBytes)).map((p) => p.partNumber));
      if (!opts.json) process.stderr.write(`resuming upload ${state.uploadId}: ${done.size} parts already there\n`);
    } catch { state = undefined; }
  }
  if (!state) {
    const started = await lake.client.api.json<{ uploadId: string }>('POST', `${DL}/multipart`, { body: { path: target, ...sub(opts) } });
    state = { uploadId: started.uploadId, path: target, size: st.size, mtimeMs: st.mtimeMs, partBytes };
    await fsp.writeFile(stateFile, JSON.stringify(state));
  }
  const parts = Math.ceil(st.size / partBytes);
  for (let n = 1; n <= parts; n++) {
    const start = (n - 1) * partBytes;
    const end = Math.min(st.size, start + partBytes);
    if (done.has(n)) { tick(end - start); continue; }
    await putRange(lake, `${DL}/multipart/${state.uploadId}/parts/${n}${q}`, file, start, end, tick);
  }
  const meta = await lake.client.api.json('POST', `${DL}/multipart/${state.uploadId}/complete${q}`, { body: {} });
  await fsp.rm(stateFile, { force: true });
  progress.finish();
  return meta;
}

async function download(lake: Lake, source: string, out: string, opts: Opts) {
  const res = await lake.client.api.send('GET', `${DL}/objects/${encodePath(source)}`, { query: sub(opts), headers: { accept: '*/*' } });
  const total = Number(res.headers.get('content-length') ?? NaN);
  const progress = new Progress(`downloading ${path.basename(source)}`, Number.isFinite(total) ? total : undefined, opts.json);
  const tmp = `${out}.part`;
  let got = 0;
  await pipeline(res.body as unknown as NodeJS.ReadableStream, counter((n) => progress.update((got += n))), fs.createWriteStream(tmp));
  await fsp.rename(tmp, out);
  progress.finish();
  return { path: source, file: out, size: got, sha256: res.headers.get('x-checksum-sha256') ?? undefined };
}

interface Entry { path: string; size: number; lastModified?: string }

async function list(lake: Lake, folder: string, opts: Opts): Promise<Entry[]> {
  const all: Entry[] = [];
  let pageToken: string | undefined;
  do {
    const page = await lake.client.api.json<{ objects: Entry[]; page: { nextToken?: string } }>('GET', `${DL}/objects`,
      { query: { path: folder, pageToken, ...sub(opts) } });
    all.push(...page.objects);
    pageToken = page.page.nextToken;
  } while (pageToken);
  return all;
}

const subOption = () => new Option('--subtenant <id>', 'address this subtenant\'s data (tenants only)');
const jsonOption = () => new Option('--json', 'print JSON');

export function registerFileCommands(program: Command): void {
  const files = program.command('files').description(`objects of the Integrated Data Lake over /api/datalake/v3 (${CREDENTIALS})`);
  const common = (c: Command) => c.addOption(subOption()).addOption(urlOption()).addOption(jsonOption());

  common(files.command('upload <file> <path>')
    .description('upload a file (a multipart upload above --part-size, resumed when run again after an interruption)\n'
      + 'example: ironbridge files upload ./line1.csv plant/line1/2024-01.csv')
    .option('--part-size <MB>', 'part size of multipart uploads, 5..100', '100'))
    .action(async (file: string, target: string, opts: Opts & { partSize: string }) => {
      const meta = await upload(lakeOf(opts), file, target, opts) as { path: string; size: number };
      if (opts.json) printJson(meta);
      else process.stdout.write(`uploaded ${file} as ${meta.path} (${meta.size} bytes)\n`);
    });

  common(files.command('download <path> [file]')
    .description('download an object into a file (default: its name in the current folder)\n'
      + 'example: ironbridge files download plant/line1/2024-01.csv ./copy.csv'))
    .action(async (source: string, file: string | undefined, opts: Opts) => {
      const r = await download(lakeOf(opts), source, file ?? path.basename(source), opts);
      if (opts.json) printJson(r);
      else process.stdout.write(`downloaded ${r.path} to ${r.file} (${r.size} bytes)\n`);
    });

  common(files.command('list [folder]').description('list a folder\'s objects and subfolders (default: the root)\nexample: ironbridge files list plant/'))
    .action(async (folder: string | undefined, opts: Opts) => {
      const entries = await list(lakeOf(opts), folder ?? '/', opts);
      if (opts.json) { printJson(entries); return; }
      process.stdout.write(`${bold(`${'size'.padStart(12)}  ${'lastModified'.padEnd(24)}  path`)}\n`);
      for (const e of entries) process.stdout.write(`${String(e.size).padStart(12)}  ${(e.lastModified ?? '').padEnd(24)}  ${e.path}\n`);
    });

  common(files.command('rm <paths...>').description('delete objects\nexample: ironbridge files rm plant/old.csv plant/older.csv'))
    .action(async (paths: string[], opts: Opts) => {
      const lake = lakeOf(opts);
      for (const p of paths) {
        await lake.client.api.send('DELETE', `${DL}/objects/${encodePath(p)}`, { query: sub(opts) });
        if (!opts.json) process.stdout.write(`deleted ${p}\n`);
      }
      if (opts.json) printJson({ deleted: paths });
    });

  common(files.command('meta <path>').description('print an object\'s metadata\nexample: ironbridge files meta plant/line1/2024-01.csv'))
    .action(async (p: string, opts: Opts) => {
      const m = await lakeOf(opts).client.api.json<Record<string, unknown>>('GET', `${DL}/objectMetadata/${encodePath(p)}`, { query: sub(opts) });
      if (opts.json) printJson(m);
      else for (const [k, v] of Object.entries(m)) process.stdout.write(`${k.padEnd(14)} ${Array.isArray(v) ? v.join(', ') : String(v)}\n`);
    });

  common(files.command('tag <path> [tags...]').description('replace an object\'s tags (at most 8, each at most 128 characters)\n'
    + 'example: ironbridge files tag plant/line1/2024-01.csv raw line1'))
    .action(async (p: string, tags: string[], opts: Opts) => {
      const m = await lakeOf(opts).client.api.json<{ tags: string[] }>('PUT', `${DL}/objectMetadata/${encodePath(p)}`,
        { query: sub(opts), body: { tags } });
      if (opts.json) printJson(m);
      else process.stdout.write(`${p}: ${m.tags.join(', ') || '(no tags)'}\n`);
    });
}
