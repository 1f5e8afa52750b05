/**
 * Integrated Data Lake API v3 as the Data Lake Manager uses it: folder listing with page tokens, object metadata
 * and tags, delete, and uploads through the gateway (`PUT /objects/{path}`, or a multipart upload for big files;
 * the session's CSRF token) with the browser's upload progress events. Downloads are plain links to `GET /objects/{path}` on the app's own host.
 */
import { api, ApiError, cookie, get } from './api';

export const DL = '/api/datalake/v3';

/** A folder ends with "/"; every segment is encoded on its own (the API refuses encoded slashes). */
export const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

export interface Entry { path: string; size: number; lastModified?: string }
export interface Listing { objects: Entry[]; page: { nextToken?: string }; path: string }
export interface Metadata { name: string; path: string; size: number; lastModified?: string; tags: string[]; eTag?: string; sha256?: string }

export function list(folder: string, pageToken?: string): Promise<Listing> {
  const q = new URLSearchParams({ path: folder || '/', size: '200', ...(pageToken ? { pageToken } : {}) });
  return get<Listing>(`${DL}/objects?${q}`);
}

export const metadata = (path: string): Promise<Metadata> => get<Metadata>(`${DL}/objectMetadata/${encodePath(path)}`);

export const setTags = async (path: string, tags: string[]): Promise<Metadata> =>
  (await api<Metadata>(`${DL}/objectMetadata/${encodePath(path)}`, { method: 'PUT', body: { tags } })).body;

export const remove = async (path: string): Promise<void> => {
  await api<void>(`${DL}/objects/${encodePath(path)}`, { method: 'DELETE' });
};

export const downloadUrl = (path: string): string => `${DL}/objects/${encodePath(path)}`;

/** One PUT of a body with the session's CSRF token, reporting sent bytes; the JSON answer, or the API's message. */
function put<T>(url: string, body: Blob, onProgress: (sent: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-requested-with', 'XMLHttpRequest');
    xhr.setRequestHeader('x-xsrf-token', cookie('XSRF-TOKEN'));
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onerror = () => reject(new ApiError(0, 'The upload was interrupted (network error); try again.'));
    xhr.onload = () => {
      let answer: { message?: string; errors?: { message?: string }[] } = {};
      try {
        answer = xhr.responseText ? JSON.parse(xhr.responseText) : {};
      } catch { /* not JSON: the status line below */ }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(body.size);
        resolve(answer as T);
      } else if (xhr.status === 401) {
        location.assign(`/login?returnTo=${encodeURIComponent(location.pathname + location.search)}`);
        reject(new ApiError(401, 'The session ended: sign in again.'));
      } else {
        reject(new ApiError(xhr.status, answer.message ?? answer.errors?.[0]?.message ?? `${xhr.status} ${xhr.statusText}`));
      }
    };
    xhr.send(body);
  });
}

/**
 * Files above this go as a multipart upload in parts of this size (one request each, well under the gateway's
 * 100 MB request limit and above the data lake's 5 MiB smallest part); smaller ones in one PUT.
 */
export const PART_BYTES = 16 * 1024 * 1024;

/** Uploads one file to `path`, reporting sent bytes; resolves with the object's metadata or rejects with the API's message. */
export async function upload(path: string, file: Blob, onProgress: (sent: number, total: number) => void): Promise<Metadata> {
  if (file.size <= PART_BYTES) return put<Metadata>(`${DL}/objects/${encodePath(path)}`, file, (sent) => onProgress(sent, file.size));
  const { uploadId } = (await api<{ uploadId: string }>(`${DL}/multipart`, { method: 'POST', body: { path } })).body;
  const base = `${DL}/multipart/${encodeURIComponent(uploadId)}`;
  try {
    for (let start = 0, n = 1; start < file.size; start += PART_BYTES, n++) {
      await put(`${base}/parts/${n}`, file.slice(start, start + PART_BYTES), (sent) => onProgress(start + sent, file.size));
    }
    return (await api<Metadata>(`${base}/complete`, { method: 'POST', body: {} })).body;
  } catch (err) {
    // the path stays locked while the upload is open: give it up, keep the first error
    await api<void>(base, { method: 'DELETE' }).catch(() => undefined);
    throw err;
  }
}

/** Bytes as people read them: 1.2 MB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
