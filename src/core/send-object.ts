/**
 * Answers a request with a stored object's bytes by writing to the raw response itself (after `reply.hijack()`),
 * so the object store can pump them through its few reused buffers (ObjectStream.pipeTo) instead of handing
 * fastify a stream of fresh ones. The caller sets status and headers on the reply first, and everything that can
 * fail before the first byte (not found, bad range, the open) has happened by then, so those errors still go
 * through the error handler in the route's own shape. The status and headers written are exactly the reply's;
 * HEAD gets them without the bytes (and reads nothing). After the headers nothing can be answered any more: a
 * failing read cuts the connection and is logged, as fastify does for a failing stream; a client that goes away
 * only ends the read (file closed, multipart lease released).
 * sendBuffers does the same for a body already in memory as several buffers (a page of rendered chunks, an OData
 * envelope and views of kept rows), so they are written as they lie instead of copied into one payload.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ObjectStoreError, type ObjectStream } from '../objectstore/index.js';

export async function sendObject(req: FastifyRequest, reply: FastifyReply, stream: ObjectStream): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  if (req.method === 'HEAD') {
    stream.body.destroy();
    res.end();
    return;
  }
  try {
    await stream.pipeTo(res);
  } catch (err) {
    if (!(err instanceof ObjectStoreError && err.kind === 'aborted')) {
      req.log.warn({ err }, 'response terminated with an error with headers already sent');
    }
  }
}

/**
 * Answers with a body given as several buffers, in one writev (the socket is corked until the last part): the
 * reply's status and headers, as set by the caller, plus content-length. The caller has run everything that can
 * fail. fastify's onResponse hooks still run (they listen on the response); onSend hooks do not, and none is
 * registered on the routes that call this. HEAD gets the headers only.
 */
export function sendBuffers(req: FastifyRequest, reply: FastifyReply, parts: readonly Buffer[]): void {
  let length = 0;
  for (const p of parts) length += p.length;
  reply.header('content-length', String(length));
  reply.hijack();
  const res = reply.raw;
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  if (req.method !== 'HEAD') {
    res.cork();
    for (const p of parts) res.write(p);
    res.uncork();
  }
  res.end();
}
