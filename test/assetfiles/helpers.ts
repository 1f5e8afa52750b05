/** Makes Asset Management files for tests that assign them (file ids in asset bodies are checked). */
import type { TestServer } from '../helpers/server.js';

export async function uploadFile(s: TestServer, name: string, content = `content of ${name}`, token?: string): Promise<string> {
  const form = new FormData();
  form.set('file', new Blob([content], { type: 'text/plain' }), name);
  form.set('name', name);
  const res = await s.api('/api/assetmanagement/v3/files', { method: 'POST', body: form, ...(token ? { token } : {}) });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`upload of ${name}: ${res.status} ${text}`);
  return (JSON.parse(text) as { id: string }).id;
}
