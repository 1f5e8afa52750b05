/**
 * User paths of the Integrated Data Lake ("folder/sub/object.ext", Integrated Data Lake API v3) and where they
 * live in the object store: `data/ten={tenant}/{path}`, or `data/ten={tenant}/sub={subtenantId}/{path}` for a
 * subtenant. Every path is checked here before any storage call: no absolute paths, no "." or ".." segments, no
 * empty segments, no encoded separators, no control characters, only the supported name characters (letters,
 * digits, space inside a name, and `_ - . ! * ' ( ) & $ @ : + , ; [ ] < > ~`). "=" is not among them, so no user
 * path can spell a "sub=" segment or any other tenant's prefix.
 */
import { DatalakeErrors } from './errors.js';

export const MAX_PATH_BYTES = 900;
export const MAX_SEGMENT_BYTES = 200;
const NAME_CHAR = /[\p{L}\p{N}_\-.!*'()&$@:+,;[\]<>~ ]/u;
const SUBTENANT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Whose space a request addresses: the tenant's own, or one subtenant's. */
export interface Scope {
  tenant: string;
  subtenant: string | undefined;
}

/** A short text of any input for error messages, without walking nested values (they may be 20,000 deep). */
export function show(v: unknown): string {
  if (typeof v === 'string') return v.slice(0, 200);
  if (v === null || typeof v !== 'object') return String(v).slice(0, 200);
  return Array.isArray(v) ? 'an array' : 'an object';
}

function describe(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) return `control character 0x${code.toString(16).padStart(2, '0')}`;
  return `"${c}" (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
}

/**
 * Checks a user path; `folder` paths may end with "/" (and "/" or "" is the root). Returns the path without a
 * trailing "/" for objects, with one for folders ("" for the root).
 */
export function checkPath(raw: unknown, kind: 'object' | 'folder', field = 'path'): string {
  const fail = (rule: string) => DatalakeErrors.invalidPath({ field, path: show(raw), rule });
  if (typeof raw !== 'string') throw fail('it must be a string');
  if (kind === 'folder' && (raw === '' || raw === '/')) return '';
  if (raw === '') throw fail('it is empty');
  if (raw.startsWith('/')) throw fail('absolute paths are not allowed; paths are relative to the data lake root, like folder/file.csv');
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES) throw fail(`it is longer than ${MAX_PATH_BYTES} bytes`);
  if (/%2f|%5c/i.test(raw)) throw fail('encoded slashes (%2F, %5C) are not allowed');
  let body = raw;
  if (raw.endsWith('/')) {
    if (kind === 'object') throw fail('an object path must not end with "/"');
    body = raw.slice(0, -1);
  }
  for (const seg of body.split('/')) {
    if (seg === '') throw fail('it has an empty segment ("//")');
    if (seg === '.' || seg === '..') throw fail(`"${seg}" segments are not allowed`);
    if (Buffer.byteLength(seg) > MAX_SEGMENT_BYTES) throw fail(`the name "${seg.slice(0, 40)}…" is longer than ${MAX_SEGMENT_BYTES} bytes`);
    if (seg.startsWith(' ') || seg.endsWith(' ')) throw fail(`the name "${seg}" starts or ends with a space`);
    for (const c of seg) {
      if (!NAME_CHAR.test(c)) throw fail(`the character ${describe(c)} is not supported in names`);
    }
  }
  return kind === 'folder' ? `${body}/` : body;
}

/** The subtenant a request addresses: a subtenant principal's own; a tenant's choice through subtenantId. */
export function scopeOf(tenant: string, principalSubtenant: string | undefined, requested: unknown): Scope {
  const asked = requested === undefined || requested === null || requested === '' ? undefined : requested;
  if (asked !== undefined && (typeof asked !== 'string' || !SUBTENANT.test(asked))) {
    throw DatalakeErrors.invalidSubtenant({ subtenantId: show(asked).slice(0, 80) });
  }
  if (principalSubtenant !== undefined) {
    if (asked !== undefined && asked !== principalSubtenant) {
      throw DatalakeErrors.subtenantForbidden({ subtenantId: asked as string });
    }
    return { tenant, subtenant: principalSubtenant };
  }
  return { tenant, subtenant: asked as string | undefined };
}

/** The object store prefix of a scope, ending with "/". */
export function scopePrefix(scope: Scope): string {
  return `data/ten=${scope.tenant}/${scope.subtenant ? `sub=${scope.subtenant}/` : ''}`;
}

export function storageKey(scope: Scope, path: string): string {
  return scopePrefix(scope) + path;
}

/** Parent folder ("" for the root, else ending with "/") and name of a checked object path. */
export function splitPath(path: string): { folder: string; name: string } {
  const i = path.lastIndexOf('/');
  return { folder: i < 0 ? '' : path.slice(0, i + 1), name: path.slice(i + 1) };
}
