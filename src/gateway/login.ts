/** The gateway's login page on web app hosts and its form handling (seed 002 "AJAX Requests"; sessions). */
import type { IncomingMessage } from 'node:http';
import { Generic } from '../core/errors.js';
import { checkTarget } from './uri.js';

export const esc = (v: string): string =>
  v.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&quot;' })[c] as string);

/** A return target is a local path only (no scheme, no host, no "//"), else "/". */
export function safeReturnTo(raw: string | null): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  try {
    checkTarget(raw);
  } catch {
    return '/';
  }
  return raw;
}

export function loginPage(tenant: string, returnTo: string, message: string | undefined): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to ${esc(tenant)}</title></head>
<body><main><h1>Sign in to ${esc(tenant)}</h1>${message ? `<p role="alert">${esc(message)}</p>` : ''}
<form method="post" action="/login"><input type="hidden" name="returnTo" value="${esc(returnTo)}">
<label>E-mail <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></main></body></html>`;
}

/** Reads an application/x-www-form-urlencoded body of at most `limit` bytes. */
export async function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw Generic.unsupportedMediaType({ contentType: type || '(none)', supported: 'application/x-www-form-urlencoded' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Generic.payloadTooLarge({ limit });
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
