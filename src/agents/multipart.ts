/**
 * A small multipart parser for the MindConnect exchange (RFC 2046 multipart/mixed and multipart/related), liberal
 * in line endings as the MindConnect Node.js SDK needs: delimiter lines end in CRLF or a bare LF, the line break
 * before a delimiter belongs to the delimiter, headers may have no space after the colon. No library parses
 * multipart/mixed (busboy and @fastify/multipart take multipart/form-data only). Works on a latin1 string of the
 * body, so bytes survive; parts are decoded by the caller. Property tests: test/agents/multipart.test.ts.
 */

export interface Part {
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The body as latin1 text (one char per byte). */
  body: string;
}

export class MultipartError extends Error {}

/** The boundary parameter of a multipart Content-Type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/** Splits a multipart body into its parts; throws MultipartError naming what is missing. */
export function parseMultipart(text: string, boundary: string): Part[] {
  const open = `--${boundary}`;
  const close = `--${boundary}--`;
  const lines = text.split('\n');
  const parts: Part[] = [];
  let current: string[] | null = null;
  let closed = false;
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.replace(/[ \t]+$/, '');
    if (trimmed === close || trimmed === open) {
      if (current) parts.push(partOf(current, parts.length));
      if (trimmed === close) {
        closed = true;
        break;
      }
      current = [];
    } else if (current) current.push(raw);
  }
  if (!closed) throw new MultipartError(parts.length === 0 && current === null ? `no delimiter --${boundary} in the body` : `no closing delimiter --${boundary}--`);
  return parts;
}

function partOf(lines: string[], index: number): Part {
  // The line break before the delimiter belongs to it: drop a trailing CR of the last line.
  const last = lines.length - 1;
  if (last >= 0 && lines[last]!.endsWith('\r')) lines[last] = lines[last]!.slice(0, -1);
  const headers: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') {
      i++;
      break;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`part ${index} has a header line without a name and colon`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    if (i === lines.length - 1) throw new MultipartError(`part ${index} has no blank line after its headers`);
  }
  return { headers, body: lines.slice(i).join('\n') };
}

/** Serialises parts (for tests and tools): `eol` between lines, as a client would send them. */
export function formatMultipart(parts: Part[], boundary: string, eol = '\r\n'): string {
  const out = parts.map((p) => `--${boundary}${eol}${Object.entries(p.headers).map(([k, v]) => `${k}:${v}${eol}`).join('')}${eol}${p.body}${eol}`);
  return `${out.join('')}--${boundary}--${eol}`;
}
